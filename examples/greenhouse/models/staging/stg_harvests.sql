{{ config(materialized='table', tags=['harvest']) }}
select
    harvest_id,
    greenhouse_id,
    crop,
    harvested_on,
    cast(weight_kg as double) as weight_kg,
    '{{ target.name }}' as built_by_target
from {{ ref('raw_harvests') }}
