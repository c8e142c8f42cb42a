{{ config(materialized='view') }}
select
    s.greenhouse_id,
    s.greenhouse_name,
    s.region,
    m.harvested_kg,
    round(m.harvested_kg / s.area_m2, 4) as harvested_kg_per_m2,
    m.avg_temperature_c,
    rank() over (order by m.harvested_kg / s.area_m2 desc) as yield_rank,
    '{{ target.name }}' as built_by_target
from {{ ref('mart_yield_vs_climate') }} as m
join {{ ref('greenhouses_snapshot') }} as s
    on s.greenhouse_id = m.greenhouse_id and s.dbt_valid_to is null
