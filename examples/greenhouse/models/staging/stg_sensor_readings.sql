select
    reading_id,
    greenhouse_id,
    sensor,
    read_at,
    cast(read_at as date) as reading_date,
    cast(reading_value as double) as reading_value,
    '{{ target.name }}' as built_by_target
from {{ ref('raw_sensor_readings') }}
