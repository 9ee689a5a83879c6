-- The duplicate detector finds records by name through the truth's sort_name (the same
-- normalized name, already indexed for the contact list), so dup_keys keeps only numbers
-- and e-mails: a quarter fewer rows to write on a first sync.
DELETE FROM dup_keys WHERE key >= 'n:' AND key < 'n;';
