"""The directory as an Open Referral HSDS 3.0 feed, with the Hawkari reintegration profile."""
