-- Close an article's ledger entry whose message has expired (nothing is left to run).
-- KEYS: in-flight set, in-flight message, stage marker, in-flight bytes
-- ARGV: article id
close_entry(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1])
