select
    customer_id,
    full_name,
    country,
    cast(signed_up_on as date) as signed_up_on,
    '{{ target.name }}' as built_by_target
from {{ ref('raw_customers') }}
