-- A harvest that weighs nothing (or less) is a data entry error.
select harvest_id, weight_kg
from {{ ref('fct_harvests') }}
where weight_kg <= 0
