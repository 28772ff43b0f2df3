-- The order service's own table, migrated by the application's Flyway (pgjobs keeps its own history apart).
create table orders (
    id           bigint generated always as identity primary key,
    customer     text        not null,
    cents        bigint      not null check (cents > 0),
    placed_at    timestamptz not null default now(),
    confirmed_at timestamptz
);
