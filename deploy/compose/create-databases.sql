-- One database per service on the compose stack's PostgreSQL (POSTGRES_DB creates catalogue).
-- Run once, by the postgres image, when its data volume is first initialised.
CREATE DATABASE evaluation;
CREATE DATABASE matching;
