{{ config(materialized='incremental', unique_key=['greenhouse_id', 'reading_date']) }}
select
    c.greenhouse_id,
    c.reading_date,
    c.avg_temperature_c,
    c.avg_humidity_pct,
    c.reading_count,
    w.sunshine_hours,
    w.rain_mm,
    '{{ target.name }}' as built_by_target
from {{ ref('int_daily_climate') }} as c
join {{ ref('stg_greenhouses') }} as g on g.greenhouse_id = c.greenhouse_id
left join {{ ref('stg_weather') }} as w on w.region = g.region and w.observed_on = c.reading_date
{% if is_incremental() %}
where c.reading_date >= (select max(reading_date) from {{ this }})
{% endif %}
