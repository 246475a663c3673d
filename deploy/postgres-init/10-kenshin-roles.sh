#!/bin/sh
# First start of the db container only (docker-entrypoint-initdb.d): the owner role and its
# database, and the runtime role with a password and no rights. The rights are given by
# `manage.py create_db_roles` after each migrate (the migrate service does it).
set -eu
psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres \
  -v owner_pw="$KENSHIN_OWNER_DB_PASSWORD" -v app_pw="$KENSHIN_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE kenshin_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_pw';
CREATE ROLE kenshin_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_pw';
CREATE DATABASE kenshin OWNER kenshin_owner;
REVOKE ALL ON DATABASE kenshin FROM PUBLIC;
\connect kenshin
ALTER SCHEMA public OWNER TO kenshin_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
