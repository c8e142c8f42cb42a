select
    cast(observed_on as date) as observed_on,
    region,
    cast(sunshine_hours as double) as sunshine_hours,
    cast(rain_mm as double) as rain_mm,
    '{{ target.name }}' as built_by_target
from {{ source('weather', 'daily_weather') }}
