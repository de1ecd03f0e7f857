-- Run once by the postgres:16 image on an empty data volume (docker-compose.yml mounts this file
-- into /docker-entrypoint-initdb.d). Without Docker, scripts/infra.sh creates the same databases.
CREATE DATABASE shop_checkout;
CREATE DATABASE shop_orders;
