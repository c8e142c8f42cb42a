select
    order_id,
    customer_id,
    cast(ordered_on as date) as ordered_on,
    cast(amount_eur as decimal(10, 2)) as amount_eur,
    '{{ target.name }}' as built_by_target
from {{ ref('raw_orders') }}
