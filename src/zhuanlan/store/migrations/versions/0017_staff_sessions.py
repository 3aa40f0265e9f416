"""staff sessions and known login addresses

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05

A staff session now lives in the store: logging out ends it on the server (a copied
cookie stops working), a password change ends the other sessions. The addresses a user
has logged in from are remembered, so that failures from elsewhere cannot lock the
right password out from a known address.
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'staff_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_staff_sessions_user', 'staff_sessions', ['user_id'], unique=False)
    op.create_table(
        'login_addresses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('last_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'address'),
    )


def downgrade() -> None:
    op.drop_table('login_addresses')
    op.drop_index('ix_staff_sessions_user', table_name='staff_sessions')
    op.drop_table('staff_sessions')
