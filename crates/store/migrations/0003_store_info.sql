-- Facts about the store file itself, e.g. which command created it: `embudo demo` only
-- ever replaces a file whose `origin` is `demo`.

CREATE TABLE store_info (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);
