from services.referrals import models  # noqa: F401 - registers every table
from services.referrals.db import Base
from shared.migrations import run_env

run_env(Base.metadata)
