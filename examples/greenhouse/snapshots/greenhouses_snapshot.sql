{% snapshot greenhouses_snapshot %}
{{ config(unique_key='greenhouse_id', strategy='check', check_cols='all') }}
select greenhouse_id, greenhouse_name, region, area_m2 from {{ ref('raw_greenhouses') }}
{% endsnapshot %}
