with harvest as (
    select greenhouse_id, sum(weight_kg) as harvested_kg, count(*) as harvest_count
    from {{ ref('fct_harvests') }}
    group by greenhouse_id
),
climate as (
    select
        greenhouse_id,
        avg(avg_temperature_c) as avg_temperature_c,
        avg(avg_humidity_pct) as avg_humidity_pct,
        sum(sunshine_hours) as sunshine_hours
    from {{ ref('fct_daily_climate') }}
    group by greenhouse_id
)
select
    harvest.greenhouse_id,
    harvest.harvested_kg,
    harvest.harvest_count,
    round(climate.avg_temperature_c, 2) as avg_temperature_c,
    round(climate.avg_humidity_pct, 2) as avg_humidity_pct,
    climate.sunshine_hours,
    '{{ target.name }}' as built_by_target
from harvest
join climate on climate.greenhouse_id = harvest.greenhouse_id
