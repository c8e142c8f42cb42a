select
    h.harvest_id,
    h.greenhouse_id,
    g.greenhouse_name,
    h.crop,
    h.harvested_on,
    h.weight_kg,
    round(h.weight_kg / g.area_m2, 4) as weight_kg_per_m2,
    '{{ target.name }}' as built_by_target
from {{ ref('stg_harvests') }} as h
join {{ ref('stg_greenhouses') }} as g on g.greenhouse_id = h.greenhouse_id
