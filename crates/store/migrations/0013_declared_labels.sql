-- The labels a user declared for a field (`contacts.lead_source`, `deals.source`,
-- `companies.industry`) by mapping a file's values onto them in an import mapping's
-- `[file.values]`: the audit then flags every other value of that field, with the declared
-- label it nearly spells.
CREATE TABLE declared_labels (
    field VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    PRIMARY KEY (field, label)
);
