"""Ids and facts of the seeded demo directory that tests refer to."""

from __future__ import annotations

from services.registry.seed import demo_id, org_id

RWANGA = org_id("rwanga")
ETTC = org_id("ettc")
MRC_ERBIL = org_id("mrc-erbil")
MRC_SULAYMANIYAH = org_id("mrc-sulaymaniyah")
NORAQ = org_id("noraq-steering")

RWANGA_PSYCHOSOCIAL = demo_id("service", "rwanga-psychosocial")
RWANGA_YOUTH = demo_id("service", "rwanga-youth-skills")
RWANGA_BUSINESS = demo_id("service", "rwanga-small-business")
ETTC_BUSINESS = demo_id("service", "ettc-business-start-up")
ETTC_VOCATIONAL = demo_id("service", "ettc-vocational-training")  # seeded 200 days unconfirmed: stale
JCC_NRM = demo_id("service", "jcc-nrm-coordination")  # 400 days: stale
MRC_ERBIL_COUNSELLING = demo_id("service", "mrc-erbil-counselling")

RWANGA_ERBIL = demo_id("location", "rwanga-erbil")
RWANGA_DUHOK = demo_id("location", "rwanga-duhok")
ETTC_ERBIL = demo_id("location", "ettc-erbil")

FRONTEX = demo_id("programme", "frontex-jrs")
SE_TOP_UP = demo_id("programme", "se-top-up")
NO_TOP_UP = demo_id("programme", "no-top-up")
SI_COM = demo_id("programme", "si-com")
SE_GRANT = demo_id("programme", "se-return-migration-grant")

PSYCHOSOCIAL_TERM = demo_id("term", "psychosocial-counselling")

# Demo users (deploy/keycloak/dev) by role.
COUNSELLOR = "counsellor.erbil"
CASEWORKER_RWANGA = "caseworker.rwanga"
CASEWORKER_ETTC = "caseworker.ettc"
PROVIDER_ADMIN = "admin.rwanga"  # provider_admin of Rwanga
FUNDER = "funder.se"
STEERING = "steering.noraq"
PLATFORM = "admin.platform"
DPO = "dpo.noraq"
