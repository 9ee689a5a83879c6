-- The duplicate detector's keys are removed by their exact (key, guid) rows, computed from
-- the version of the record being replaced or deleted, so the second index on dup_keys
-- (by guid) is not needed. It was half of the detector's cost on a first sync: 400,000
-- more index entries for 100,000 contacts. (If the keys a contact gives ever change, a
-- migration must rebuild this table from the truth.)
DROP INDEX dup_keys_guid;
