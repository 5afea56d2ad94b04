"""The merchant's data in and out: CSV reading and writing, exports of every table, cost import."""
