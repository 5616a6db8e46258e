-- How long the last count of a tenant's shared figures took (issue 15):
-- the overview's statistics (user_stats) and the user list's totals
-- (user_counts) are counted again only after SHARED_COUNT_COST_FACTOR times
-- that long has passed, or their usual age limit if that is longer, so that
-- counting a large mirror takes at most a small share of the machine
-- however often its pages are viewed. NULL: not counted yet, or counted
-- before this column existed (the usual age limit applies).
ALTER TABLE gatehouse.user_stats ADD COLUMN count_ms integer;
ALTER TABLE gatehouse.user_counts ADD COLUMN count_ms integer;
