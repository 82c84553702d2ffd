#!/bin/sh
# Runs once, when the PostgreSQL volume is new (docker-entrypoint-initdb.d). One role and one
# database per service; each database refuses connections from every other role, so the
# coordination service's credentials cannot even open the referrals database.
set -eu

create() {
  role="$1" database="$2" password="$3"
  if [ -z "$password" ]; then
    echo "create-databases: no password for $role (see .env.example)" >&2
    exit 1
  fi
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v role="$role" -v database="$database" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"role";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
SQL
}

create registry hawkari_registry "${REGISTRY_DB_PASSWORD:-}"
create referrals hawkari_referrals "${REFERRALS_DB_PASSWORD:-}"
create notifications hawkari_notifications "${NOTIFICATIONS_DB_PASSWORD:-}"
create coordination hawkari_coordination "${COORDINATION_DB_PASSWORD:-}"
create portal hawkari_portal "${PORTAL_DB_PASSWORD:-}"
create keycloak keycloak "${KEYCLOAK_DB_PASSWORD:-}"
