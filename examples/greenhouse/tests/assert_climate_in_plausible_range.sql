-- A greenhouse day outside these bounds means a broken sensor, not weather.
select greenhouse_id, reading_date, avg_temperature_c, avg_humidity_pct
from {{ ref('fct_daily_climate') }}
where avg_temperature_c not between 5 and 45
   or avg_humidity_pct not between 10 and 100
