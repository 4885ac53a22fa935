-- sqlite3: a WAL-mode database (the -wal file, and the wal-index in the -shm file mmap'd
-- MAP_SHARED, or on the heap with locking_mode EXCLUSIVE), checkpoints, savepoints, back
-- to a rollback journal.
.headers on
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE kv(k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20000)
INSERT INTO kv SELECT 'key' || i, i * i FROM c;
COMMIT;
INSERT INTO kv VALUES ('extra', -1);
UPDATE kv SET v = v + 1 WHERE k LIKE 'key1%';
SELECT count(*), sum(v) % 1000000007, min(k), max(k) FROM kv;
PRAGMA wal_checkpoint(TRUNCATE);
PRAGMA journal_mode;
CREATE TABLE log(id INTEGER PRIMARY KEY AUTOINCREMENT, msg TEXT);
INSERT INTO log(msg) VALUES ('one'), ('two'), ('three');
DELETE FROM log WHERE id = 2;
INSERT INTO log(msg) VALUES ('four');
SELECT * FROM log;
SAVEPOINT sp; INSERT INTO log(msg) VALUES ('gone'); ROLLBACK TO sp; RELEASE sp;
SELECT count(*) FROM log;
PRAGMA integrity_check;
PRAGMA wal_checkpoint;
PRAGMA journal_mode = DELETE;
SELECT count(*) FROM kv WHERE v % 2 = 0;
PRAGMA integrity_check;
