-- Every customer, with what they ordered (none for two of them).
select
    c.customer_id,
    c.full_name,
    c.country,
    coalesce(o.orders, 0) as orders,
    coalesce(o.revenue_eur, 0) as revenue_eur,
    '{{ target.name }}' as built_by_target
from {{ ref('stg_customers') }} as c
left join {{ ref('customer_orders') }} as o using (customer_id)
