-- Parties, debt rolls and debts; the platform's RF directory; payments and
-- allocations in their first form (the collect feature extends them).
--
-- The bulk tables (parties, debts, rf_directory) carry no foreign keys: a
-- debt roll writes 100 000 rows in one transaction, and per-row reference
-- checks were more than half its time. The importer creates each party in
-- the same transaction as its debts, and the invariant check that every test
-- runs looks for orphans.

create table parties (
    tenant_id blob not null,
    id blob not null,
    source_id text not null,
    kind text not null check (kind in ('person', 'company')),
    tax_country text not null,
    tax_id text,
    tax_id_flagged boolean not null,
    name text not null,
    address text not null,
    email text,
    identity_hash text not null,
    details_hash text not null,
    created_at text not null,
    primary key (tenant_id, id),
    unique (tenant_id, source_id)
);
create index parties_by_tax_id on parties (tenant_id, tax_id);

create table debt_rolls (
    tenant_id blob not null references tenants (id),
    id blob not null,
    file_sha256 text not null,
    file_name text not null,
    rows_total integer not null,
    rows_new integer not null,
    actor text not null,
    created_at text not null,
    primary key (tenant_id, id)
);

create table debts (
    tenant_id blob not null,
    id blob not null,
    party_id blob not null,
    roll_id blob not null,
    source_id text not null,
    kind text not null,
    fiscal_year integer not null,
    revenue_code text,
    property_id text,
    description text not null,
    principal_cents integer not null check (principal_cents > 0),
    assessed_on text not null,
    due_on text not null,
    rf text not null,
    content_hash text not null,
    created_at text not null,
    primary key (tenant_id, id),
    unique (tenant_id, source_id)
);
create index debts_by_party on debts (tenant_id, party_id, due_on);

-- Platform-wide: the debt an RF reference names. Public lookups and RF matching
-- start here, and its key keeps every RF unique on the platform; it holds no
-- personal data (a reference table under Citus).
create table rf_directory (
    rf text primary key,
    tenant_id blob not null,
    debt_id blob not null
);

create table payments (
    tenant_id blob not null,
    id blob not null,
    party_id blob not null,
    channel text not null,
    status text not null,
    amount_cents integer not null check (amount_cents > 0),
    currency text not null,
    received_on text not null,
    created_at text not null,
    primary key (tenant_id, id),
    foreign key (tenant_id, party_id) references parties (tenant_id, id)
);

-- One row per movement of money onto (or, negative, off) a debt. Corrections
-- are new rows that point at the row they undo.
create table allocations (
    tenant_id blob not null,
    id blob not null,
    payment_id blob not null,
    debt_id blob not null,
    principal_cents integer not null,
    surcharge_cents integer not null,
    paid_on text not null,
    policy_version integer not null,
    reverses_id blob,
    created_at text not null,
    primary key (tenant_id, id),
    foreign key (tenant_id, payment_id) references payments (tenant_id, id),
    foreign key (tenant_id, debt_id) references debts (tenant_id, id)
);
create index allocations_by_debt on allocations (tenant_id, debt_id);

-- Short-lived links that open a full notice after the second factor.
create table notice_tokens (
    tenant_id blob not null references tenants (id),
    token_hash text not null,
    party_id blob not null,
    created_at text not null,
    expires_at text not null,
    primary key (tenant_id, token_hash)
);

-- A party's credit: overpayments in, applications and refunds out.
create table credit_movements (
    tenant_id blob not null,
    id blob not null,
    party_id blob not null,
    payment_id blob,
    amount_cents integer not null,
    reason text not null,
    created_at text not null,
    primary key (tenant_id, id),
    foreign key (tenant_id, party_id) references parties (tenant_id, id)
);
create index credit_movements_by_party on credit_movements (tenant_id, party_id);
