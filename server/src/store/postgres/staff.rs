//! [`StaffStore`] on PostgreSQL. "First invite only" locks the company's row and "one
//! redemption" locks the invite's row (`FOR UPDATE`), so replicas sharing the database agree.

use async_trait::async_trait;
use connect_core::{
    auth::Role,
    ids::{CompanyId, ReportId, UserId},
};
use deadpool_postgres::GenericClient;

use super::{PgStore, classify, reports};
use crate::store::{
    InviteRecord, NewEvent, NewInvite, Redeemed, StaffRecord, StaffStore, StoreError,
};

async fn insert_invite(c: &impl GenericClient, i: &NewInvite) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO staff_invites (token_hash, company_id, name, email, created_by, created_ms,
            expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &i.token_hash,
            &i.company_id.0,
            &i.name,
            &i.email,
            &i.created_by.map(|u| u.0),
            &i.created_ms,
            &i.expires_ms,
        ],
    )
    .await
    .map_err(classify)?;
    Ok(())
}

#[async_trait]
impl StaffStore for PgStore {
    async fn create_invite(&self, invite: NewInvite) -> Result<(), StoreError> {
        let c = self.client().await?;
        insert_invite(&c, &invite).await
    }

    async fn create_first_invite(&self, invite: NewInvite) -> Result<bool, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let company = tx
            .query_opt(
                "SELECT 1 FROM companies WHERE id = $1 FOR UPDATE",
                &[&invite.company_id.0],
            )
            .await?;
        if company.is_none() {
            return Err(StoreError::MissingReference);
        }
        let busy: bool = tx
            .query_one(
                "SELECT EXISTS(SELECT 1 FROM user_roles WHERE role = $1 AND scope = $2)
                     OR EXISTS(SELECT 1 FROM staff_invites WHERE company_id = $2
                               AND used_ms IS NULL AND expires_ms > $3)",
                &[
                    &Role::CompanyStaff.as_str(),
                    &invite.company_id.0,
                    &invite.created_ms,
                ],
            )
            .await?
            .get(0);
        if busy {
            return Ok(false);
        }
        insert_invite(&tx, &invite).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn invite(&self, token_hash: Vec<u8>) -> Result<Option<InviteRecord>, StoreError> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT company_id, name, created_ms, expires_ms, used_ms FROM staff_invites
             WHERE token_hash = $1",
            &[&token_hash],
        )
        .await?
        .map(|r| InviteRecord {
            company_id: CompanyId(r.get(0)),
            name: r.get(1),
            created_ms: r.get(2),
            expires_ms: r.get(3),
            used_ms: r.get(4),
        }))
    }

    async fn redeem_invite(
        &self,
        token_hash: Vec<u8>,
        user: UserId,
        now_ms: i64,
    ) -> Result<Redeemed, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let Some(row) = tx
            .query_opt(
                "SELECT company_id, name, expires_ms, used_ms FROM staff_invites
                 WHERE token_hash = $1 FOR UPDATE",
                &[&token_hash],
            )
            .await?
        else {
            return Ok(Redeemed::Unknown);
        };
        let company: String = row.get(0);
        let name: String = row.get(1);
        let expires_ms: i64 = row.get(2);
        let used_ms: Option<i64> = row.get(3);
        if used_ms.is_some() {
            return Ok(Redeemed::AlreadyUsed);
        }
        if now_ms >= expires_ms {
            return Ok(Redeemed::Expired);
        }
        tx.execute(
            "UPDATE staff_invites SET used_ms = $2, used_by = $3 WHERE token_hash = $1",
            &[&token_hash, &now_ms, &user.0],
        )
        .await?;
        tx.execute(
            "INSERT INTO user_roles (user_id, role, scope) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[&user.0, &Role::CompanyStaff.as_str(), &company],
        )
        .await
        .map_err(classify)?;
        tx.execute(
            "INSERT INTO staff_members (company_id, user_id, name, joined_ms)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (company_id, user_id) DO UPDATE SET name = excluded.name",
            &[&company, &user.0, &name, &now_ms],
        )
        .await
        .map_err(classify)?;
        tx.commit().await?;
        Ok(Redeemed::Joined(CompanyId(company)))
    }

    async fn staff(&self, company: CompanyId) -> Result<Vec<StaffRecord>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT u.id, m.name, u.phone_enc FROM user_roles g
                 JOIN users u ON u.id = g.user_id
                 LEFT JOIN staff_members m ON m.user_id = g.user_id AND m.company_id = g.scope
                 WHERE g.role = $1 AND g.scope = $2 ORDER BY u.id",
                &[&Role::CompanyStaff.as_str(), &company.0],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| StaffRecord {
                user_id: UserId(r.get(0)),
                name: r.get(1),
                phone_sealed: r.get(2),
            })
            .collect())
    }

    async fn assign_report(
        &self,
        id: ReportId,
        assignee: UserId,
        event: NewEvent,
    ) -> Result<bool, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        if reports::load(&tx, id, true).await?.is_none() {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO report_assignments (report_id, user_id, assigned_ms) VALUES ($1, $2, $3)
             ON CONFLICT (report_id) DO UPDATE SET user_id = excluded.user_id,
                assigned_ms = excluded.assigned_ms",
            &[&id.0, &assignee.0, &event.at_ms],
        )
        .await
        .map_err(classify)?;
        reports::append_event(&tx, id, None, &event).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn assignee(&self, id: ReportId) -> Result<Option<UserId>, StoreError> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT user_id FROM report_assignments WHERE report_id = $1",
            &[&id.0],
        )
        .await?
        .map(|r| UserId(r.get(0))))
    }

    async fn assignments(&self, company: CompanyId) -> Result<Vec<(ReportId, UserId)>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT a.report_id, a.user_id FROM report_assignments a
                 JOIN reports r ON r.id = a.report_id WHERE r.company_id = $1
                 ORDER BY a.report_id",
                &[&company.0],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| (ReportId(r.get(0)), UserId(r.get(1))))
            .collect())
    }

    async fn user_phone(&self, user: UserId) -> Result<Option<Vec<u8>>, StoreError> {
        let c = self.client().await?;
        Ok(
            c.query_opt("SELECT phone_enc FROM users WHERE id = $1", &[&user.0])
                .await?
                .map(|r| r.get(0)),
        )
    }
}
