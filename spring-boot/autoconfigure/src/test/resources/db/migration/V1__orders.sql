-- The application's own migration, run by its own Flyway beside pgjobs' migrations.
create table orders (id bigint primary key, placed_at timestamptz not null default now());
