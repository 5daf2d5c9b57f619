-- Collecting by card: quotes with locked surcharges, card payments and their
-- provider intents, verified provider events, receipts, refunds, write-offs
-- and API idempotency records.

-- A tenant's card provider. No row: a test tenant uses the sandbox, a live
-- tenant takes no card payments.
create table card_providers (
    tenant_id blob not null references tenants (id),
    provider text not null check (provider in ('sandbox', 'stripe')),
    api_base text,
    js_url text,
    publishable_key text,
    secret_key text,
    -- JSON array of webhook signing secrets, all accepted (rotation).
    webhook_secrets text not null,
    updated_at text not null,
    primary key (tenant_id)
);

-- What a citizen was offered: the debts, what each owed on `as_of` (its
-- surcharges locked until `expires_at`), and the amount to pay.
create table quotes (
    tenant_id blob not null,
    id blob not null,
    party_id blob not null,
    token_hash text not null,
    as_of text not null,
    amount_cents integer not null check (amount_cents > 0),
    total_due_cents integer not null,
    created_at text not null,
    expires_at text not null,
    primary key (tenant_id, id),
    unique (tenant_id, token_hash),
    foreign key (tenant_id, party_id) references parties (tenant_id, id)
);

create table quote_lines (
    tenant_id blob not null,
    quote_id blob not null,
    debt_id blob not null,
    principal_due_cents integer not null,
    surcharge_due_cents integer not null,
    principal_pay_cents integer not null,
    surcharge_pay_cents integer not null,
    primary key (tenant_id, quote_id, debt_id),
    foreign key (tenant_id, quote_id) references quotes (tenant_id, id)
);

-- A card payment is a payment with a quote and a provider intent.
alter table payments add column quote_id blob;
alter table payments add column provider text;
alter table payments add column provider_ref text;
alter table payments add column livemode boolean;
-- When the re-check worker next asks the provider about a pending payment.
alter table payments add column next_check_at text;
create unique index payments_by_quote on payments (tenant_id, quote_id);
create index payments_by_provider_ref on payments (tenant_id, provider_ref);
create index payments_to_check on payments (next_check_at);

-- The sandbox provider's own intents (the demo's and the tests' "Stripe").
create table sandbox_intents (
    tenant_id blob not null,
    id text not null,
    payment_id blob not null,
    amount_cents integer not null,
    currency text not null,
    status text not null,
    last_error_code text,
    client_secret text not null,
    created_at text not null,
    primary key (tenant_id, id),
    unique (tenant_id, payment_id)
);

-- Verified provider events, stored before they are acted on.
create table provider_events (
    tenant_id blob not null,
    id text not null,
    type text not null,
    object_id text,
    status text not null check (status in ('received', 'applied', 'ignored')),
    body text not null,
    received_at text not null,
    attempts integer not null,
    next_attempt_at text not null,
    last_error text,
    done_at text,
    primary key (tenant_id, id)
);
create index provider_events_due on provider_events (status, next_attempt_at);

-- Receipts and their cancellations, in gapless series per tenant and year.
create table receipts (
    tenant_id blob not null,
    id blob not null,
    payment_id blob not null,
    kind text not null check (kind in ('receipt', 'cancellation')),
    series text not null,
    year integer not null,
    number integer not null,
    amount_cents integer not null,
    cancels_id blob,
    refund_id blob,
    token text not null,
    issued_at text not null,
    primary key (tenant_id, id),
    unique (tenant_id, series, year, number),
    unique (tenant_id, token),
    foreign key (tenant_id, payment_id) references payments (tenant_id, id)
);
create index receipts_by_payment on receipts (tenant_id, payment_id);

create table refunds (
    tenant_id blob not null,
    id blob not null,
    payment_id blob not null,
    amount_cents integer not null check (amount_cents > 0),
    status text not null check (status in ('pending', 'succeeded', 'failed')),
    provider_ref text,
    reason text not null,
    created_at text not null,
    primary key (tenant_id, id),
    foreign key (tenant_id, payment_id) references payments (tenant_id, id)
);
create index refunds_by_payment on refunds (tenant_id, payment_id);

-- Card disputes (chargebacks): what the provider withdrew, and what Tameio
-- took back off the debts for it until the dispute closes.
create table disputes (
    tenant_id blob not null,
    id text not null,
    payment_id blob not null,
    amount_cents integer not null,
    taken_cents integer not null,
    status text not null check (status in ('open', 'won', 'lost')),
    created_at text not null,
    closed_at text,
    primary key (tenant_id, id),
    foreign key (tenant_id, payment_id) references payments (tenant_id, id)
);

create table write_offs (
    tenant_id blob not null,
    id blob not null,
    debt_id blob not null,
    principal_cents integer not null,
    surcharge_cents integer not null,
    reason text not null,
    decision text not null,
    written_on text not null,
    created_at text not null,
    primary key (tenant_id, id),
    foreign key (tenant_id, debt_id) references debts (tenant_id, id)
);
create index write_offs_by_debt on write_offs (tenant_id, debt_id);

-- One row per (API key, Idempotency-Key): claimed in the transaction of the
-- effect, with the response it gave.
create table idempotency_keys (
    tenant_id blob not null,
    key_id blob not null,
    key text not null,
    method text not null,
    path text not null,
    body_sha256 text not null,
    status_code integer not null,
    response text not null,
    created_at text not null,
    primary key (tenant_id, key_id, key)
);
