-- Messages per UTC day and impersonated identity (the `target` the engine
-- names on an impersonation finding: `Contoso (vendor)`, `Microsoft
-- (brand)`, `Ann Lee (IT staff)`), kept by every recording of messages
-- like message_day_counts: the overview's "top impersonated identities"
-- reads a few hundred rows instead of every verdict document. A message
-- counts once per identity. Verdicts recorded before this migration carry
-- no target and are not counted.
CREATE TABLE impersonation_day_counts (
    day BIGINT NOT NULL,
    target TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (day, target)
);
