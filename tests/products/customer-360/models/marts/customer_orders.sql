-- One row per customer who ordered: 4 of the 6.
select
    customer_id,
    count(*) as orders,
    sum(amount_eur) as revenue_eur,
    max(ordered_on) as last_ordered_on,
    '{{ target.name }}' as built_by_target
from {{ ref('stg_orders') }}
group by customer_id
