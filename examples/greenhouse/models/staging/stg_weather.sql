{# A table, not a view: the view would re-read the CSV relative to whoever queries it. #}
{{ config(materialized='table') }}
select
    cast(observed_on as date) as observed_on,
    region,
    cast(sunshine_hours as double) as sunshine_hours,
    cast(rain_mm as double) as rain_mm,
    '{{ target.name }}' as built_by_target
from {{ source('weather', 'daily_weather') }}
