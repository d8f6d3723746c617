-- 089: weights are finite.
--
-- report.composite (sql/report/figures.sql) computes the composite exactly
-- from the counts, scaling the weights to integers by a power of ten. NaN
-- and Infinity pass the baseline's "weight >= 0" but are no weight of a
-- mean (and have no scale to scale by).
--
-- A database that already holds one stops here with the row named and
-- nothing changed, rather than with the bare constraint violation: the
-- weight is the county's choice to correct.
DO $$
DECLARE
    bad text;
BEGIN
    SELECT string_agg(w.figure || ' = ' || w.weight::text, ', ' ORDER BY w.figure) INTO bad
    FROM ref.weight w
    WHERE NOT (w.weight < 'Infinity');
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION '权重必须是有限的非负数，ref.weight 中有：%；请改正后再升级', bad
            USING ERRCODE = 'check_violation';
    END IF;
END
$$;

ALTER TABLE ref.weight ADD CONSTRAINT weight_finite CHECK (weight < 'Infinity');
