-- Indexes the Miomente partner portal needs on the shop database, beyond Magento's own.
-- Generated from data/shop/schema.py (EXTRA_INDEXES); reviewed for the shop's DBA.
-- On a large shop create them in a quiet hour (InnoDB builds them online).
CREATE INDEX mio_idx_soi_product_order ON sales_order_item (product_id, order_id);
CREATE INDEX mio_idx_soi_sku ON sales_order_item (sku);
CREATE INDEX mio_idx_soi_date ON sales_order_item (miomente_date_id, parent_item_id, order_id, qty_ordered, qty_canceled, qty_refunded);
CREATE INDEX mio_idx_soi_updated_at ON sales_order_item (updated_at);
CREATE UNIQUE INDEX mio_uq_course_date_series_start ON miomente_course_date (series_id, starts_at);
CREATE INDEX mio_idx_review_product_status_created ON review (entity_pk_value, status_id, created_at);
