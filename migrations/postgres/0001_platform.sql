-- Platform core: tenants, keys, counters, audit chain, journal and outbox.
-- Ids are UUIDs (16-byte blobs here, uuid in PostgreSQL); money is integer cents;
-- timestamps are UTC; every tenant table keys on tenant_id first.

create table tenants (
    id uuid primary key,
    slug text not null unique,
    name_el text not null,
    name_en text not null,
    creditor_name text not null,
    rf_prefix text not null unique,
    time_zone text not null,
    mode text not null check (mode in ('test', 'live')),
    policies text not null,
    created_at timestamptz not null
);

create table tenant_accounts (
    tenant_id uuid not null references tenants (id),
    iban text not null,
    bic text,
    created_at timestamptz not null,
    primary key (tenant_id, iban)
);

create table revenue_codes (
    tenant_id uuid not null references tenants (id),
    debt_kind text not null,
    year_class text not null check (year_class in ('current', 'prior')),
    component text not null check (component in ('principal', 'surcharge')),
    effective_from_year bigint not null,
    code text not null,
    primary key (tenant_id, debt_kind, year_class, component, effective_from_year)
);

create table operator_keys (
    id uuid primary key,
    name text not null,
    key_hash text not null unique,
    created_at timestamptz not null
);

create table api_keys (
    tenant_id uuid not null references tenants (id),
    id uuid not null,
    name text not null,
    key_hash text not null,
    created_at timestamptz not null,
    revoked_at timestamptz,
    primary key (tenant_id, id),
    unique (tenant_id, key_hash)
);

create table counters (
    tenant_id uuid not null references tenants (id),
    name text not null,
    value bigint not null,
    primary key (tenant_id, name)
);

create table audit_heads (
    tenant_id uuid primary key references tenants (id),
    seq bigint not null,
    hash text not null
);

create table audit_entries (
    tenant_id uuid not null references tenants (id),
    seq bigint not null,
    at timestamptz not null,
    actor text not null,
    action text not null,
    subject text not null,
    details text not null,
    prev_hash text not null,
    hash text not null,
    primary key (tenant_id, seq)
);

create table journal_events (
    tenant_id uuid not null references tenants (id),
    seq bigint not null,
    id uuid not null,
    kind text not null,
    occurred_at timestamptz not null,
    business_date date not null,
    livemode boolean not null,
    subject text not null,
    primary key (tenant_id, seq),
    unique (tenant_id, id)
);

create table journal_lines (
    tenant_id uuid not null,
    event_seq bigint not null,
    line_no bigint not null,
    account text not null,
    debit_cents bigint not null check (debit_cents >= 0),
    credit_cents bigint not null check (credit_cents >= 0),
    revenue_code text,
    debt_rf text,
    primary key (tenant_id, event_seq, line_no),
    foreign key (tenant_id, event_seq) references journal_events (tenant_id, seq)
);

create table outbox (
    tenant_id uuid not null,
    event_seq bigint not null,
    created_at timestamptz not null,
    delivered_at timestamptz,
    primary key (tenant_id, event_seq),
    foreign key (tenant_id, event_seq) references journal_events (tenant_id, seq)
);

create table officer_sessions (
    tenant_id uuid not null references tenants (id),
    token_hash text not null,
    api_key_id uuid not null,
    csrf_token text not null,
    created_at timestamptz not null,
    expires_at timestamptz not null,
    primary key (tenant_id, token_hash)
);
