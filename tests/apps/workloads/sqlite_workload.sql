-- sqlite3: a database in /tmp (the path is the runner's argument): 100,000 inserts in one
-- transaction, an index, joins, aggregates, window functions, an update, a rollback,
-- VACUUM, and an integrity check.
.headers on
.mode list
PRAGMA page_size = 4096;
CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER REFERENCES customers(id), amount INTEGER, day TEXT);
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000)
INSERT INTO customers SELECT i, 'cust' || i, CASE i % 5 WHEN 0 THEN 'Oslo' WHEN 1 THEN 'Lima' WHEN 2 THEN 'Pune' WHEN 3 THEN 'Rome' ELSE 'Kyiv' END FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100000)
INSERT INTO orders SELECT i, 1 + (i * 7919) % 1000, (i * 104729) % 500 + 1, date('2024-01-01', '+' || (i % 366) || ' days') FROM c;
COMMIT;
SELECT count(*) AS orders, sum(amount) AS total, min(day) AS first, max(day) AS last FROM orders;
CREATE INDEX orders_customer ON orders(customer);
EXPLAIN QUERY PLAN SELECT * FROM orders WHERE customer = 42;
SELECT c.city, count(*) AS n, sum(o.amount) AS total, round(avg(o.amount), 3) AS mean
  FROM orders o JOIN customers c ON c.id = o.customer GROUP BY c.city ORDER BY total DESC;
SELECT c.name, sum(o.amount) AS spent FROM customers c JOIN orders o ON o.customer = c.id
  GROUP BY c.id ORDER BY spent DESC, c.name LIMIT 5;
SELECT strftime('%m', day) AS month, count(*) AS n, max(amount) AS top FROM orders
  WHERE day BETWEEN '2024-03-01' AND '2024-05-31' GROUP BY month ORDER BY month;
SELECT c.id, c.name FROM customers c LEFT JOIN orders o ON o.customer = c.id WHERE o.id IS NULL ORDER BY c.id LIMIT 3;
SELECT customer, amount, rank() OVER (PARTITION BY customer ORDER BY amount DESC) AS r
  FROM orders WHERE customer IN (1, 2) ORDER BY customer, r, amount LIMIT 6;
BEGIN;
UPDATE orders SET amount = amount * 2 WHERE customer % 10 = 0;
DELETE FROM orders WHERE day > '2024-12-25';
SELECT changes() AS deleted, count(*) AS remaining FROM orders;
ROLLBACK;
SELECT count(*) AS after_rollback, sum(amount) AS total FROM orders;
UPDATE customers SET city = upper(city) WHERE id <= 3;
SELECT * FROM customers WHERE id <= 4;
SELECT group_concat(city, ',') FROM (SELECT DISTINCT city FROM customers ORDER BY city);
SELECT printf('%.2f', 2.0 / 3), 7 / 2, 7 % 3, length('héllo'), hex('ab'), typeof(1.5), json_object('a', 1, 'b', json_array(1, 2));
SELECT abs(-5), coalesce(NULL, 'x'), substr('sqlite', 2, 3), replace('aaa', 'a', 'b'), instr('hello', 'l'), trim('  t  ');
PRAGMA journal_mode;
SELECT count(*) AS tables FROM sqlite_schema WHERE type = 'table';
VACUUM;
PRAGMA integrity_check;
SELECT page_count * page_size > 1000000 AS big_enough FROM pragma_page_count, pragma_page_size;
