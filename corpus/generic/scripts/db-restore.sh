#!/usr/bin/env bash
set -euo pipefail
mysql -u root -p"$MYSQL_PWD" shop < dump.sql
PGPASSWORD='d9Q8F?c8hD*2PZTqa' psql -h db.internal -U restore shop < shop.sql
read -rsp "password: " password
