"""public points for carers and provider bases

Every public distance is measured from a public point, the centroid of the postcode
sector (or of the district when the sector is small), never from the home itself.
Adds public_lat / public_lon to carers and providers, fills them from each row's
postcode (or district) with marketplace.geo.public_point, and adds a check that a
row on the map always has one.

A row with a map position but neither a postcode nor a district the postcode data
knows cannot be given a public point; its map position is cleared (it stays in the
database, unplaced, until someone gives it a postcode again).

Revision ID: 0008_public_points
Revises: 0007_notification_outbox
Create Date: 2026-12-01 19:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008_public_points"
down_revision = "0007_notification_outbox"
branch_labels = None
depends_on = None

PUBLIC_POINT_CHECK = (
    "(lat IS NULL AND public_lat IS NULL AND public_lon IS NULL) OR "
    "(lat IS NOT NULL AND public_lat IS NOT NULL AND public_lon IS NOT NULL)"
)
TABLES = ("carers", "providers")


def _public_point(geo, postcode, district):
    for where in (postcode, district):
        if where:
            try:
                point = geo.public_point(where)
            except geo.GeoError:
                continue
            return point.lat, point.lon
    return None


def _backfill(table_name):
    from marketplace import geo

    bind = op.get_bind()
    table = sa.table(
        table_name,
        sa.column("id", sa.Integer),
        sa.column("postcode", sa.String),
        sa.column("district", sa.String),
        sa.column("lat", sa.Float),
        sa.column("lon", sa.Float),
        sa.column("public_lat", sa.Float),
        sa.column("public_lon", sa.Float),
    )
    rows = bind.execute(
        sa.select(table.c.id, table.c.postcode, table.c.district).where(table.c.lat.is_not(None))
    ).all()
    placed, unplaced = [], []
    for row in rows:
        point = _public_point(geo, row.postcode, row.district)
        if point is None:
            unplaced.append({"_id": row.id})
        else:
            placed.append({"_id": row.id, "public_lat": point[0], "public_lon": point[1]})
    where = table.c.id == sa.bindparam("_id")
    if placed:
        bind.execute(
            sa.update(table)
            .where(where)
            .values(public_lat=sa.bindparam("public_lat"), public_lon=sa.bindparam("public_lon")),
            placed,
        )
    if unplaced:
        bind.execute(sa.update(table).where(where).values(lat=None, lon=None), unplaced)


def upgrade():
    for table_name in TABLES:
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.add_column(sa.Column("public_lat", sa.Float(), nullable=True))
            batch_op.add_column(sa.Column("public_lon", sa.Float(), nullable=True))
        _backfill(table_name)
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.create_check_constraint(
                op.f(f"ck_{table_name}_public_point"), sa.text(PUBLIC_POINT_CHECK)
            )


def downgrade():
    for table_name in TABLES:
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table_name}_public_point"), type_="check")
            batch_op.drop_column("public_lon")
            batch_op.drop_column("public_lat")
