{{ config(materialized='ephemeral') }}
-- One row per greenhouse and day: the sensors pivoted into columns.
select
    greenhouse_id,
    reading_date,
    avg(case when sensor = 'temperature' then reading_value end) as avg_temperature_c,
    avg(case when sensor = 'humidity' then reading_value end) as avg_humidity_pct,
    count(*) as reading_count
from {{ ref('stg_sensor_readings') }}
group by greenhouse_id, reading_date
