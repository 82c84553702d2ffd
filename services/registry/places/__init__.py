"""Iraq's places: governorates (ISO 3166-2:IQ from pycountry, plus Halabja) and districts."""
