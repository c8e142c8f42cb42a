select
    greenhouse_id,
    greenhouse_name,
    region,
    cast(area_m2 as integer) as area_m2,
    '{{ target.name }}' as built_by_target
from {{ ref('raw_greenhouses') }}
