"""Small pieces every registry context uses: texts, codes, paging, ETags, events, model columns."""
