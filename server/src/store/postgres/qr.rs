//! PostgreSQL side of [`QrStore`]: account codes on bills. A claim is one `UPDATE … WHERE
//! claimed_by IS NULL`: concurrent claims of one code queue on its row lock and re-check the
//! condition after the winner commits, so exactly one succeeds, also across server replicas.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connect_core::{
    ids::{AccountId, ApartmentId, BuildingId, CompanyId, UserId},
    property::Building,
};
use uuid::Uuid;

use super::{PgStore, building_row, classify};
use crate::store::{AccountScope, ClaimOutcome, NewAccountCode, QrStore, StoreError};

#[async_trait]
impl QrStore for PgStore {
    async fn account_scope(&self, account: AccountId) -> Result<Option<AccountScope>, StoreError> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT a.apartment_id, p.building_id, b.company_id
             FROM accounts a JOIN apartments p ON p.id = a.apartment_id
             JOIN buildings b ON b.id = p.building_id
             WHERE a.id = $1",
            &[&account.0],
        )
        .await?
        .map(|r| AccountScope {
            account_id: account,
            apartment_id: ApartmentId(r.get(0)),
            building_id: BuildingId(r.get(1)),
            company_id: r.get::<_, Option<String>>(2).map(CompanyId),
        }))
    }

    async fn issue_account_code(&self, code: NewAccountCode) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "UPDATE account_codes SET revoked_at = $2
             WHERE account_id = $1 AND claimed_by IS NULL AND revoked_at IS NULL",
            &[&code.account_id.0, &code.now],
        )
        .await?;
        tx.execute(
            "INSERT INTO account_codes (id, account_id, secret_hash, issued_by, issued_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &code.id,
                &code.account_id.0,
                &code.secret_hash,
                &code.issued_by.0,
                &code.now,
            ],
        )
        .await
        .map_err(classify)?;
        tx.commit().await?;
        Ok(())
    }

    async fn claim_account_code(
        &self,
        account: AccountId,
        secret_hash: Vec<u8>,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let claimed = tx
            .query_opt(
                "UPDATE account_codes SET claimed_by = $3, claimed_at = $4
                 WHERE account_id = $1 AND secret_hash = $2
                   AND claimed_by IS NULL AND revoked_at IS NULL
                 RETURNING (SELECT apartment_id FROM accounts WHERE id = $1)",
                &[&account.0, &secret_hash, &user.0, &now],
            )
            .await
            .map_err(classify)?;
        let outcome = if let Some(row) = claimed {
            let apartment: Uuid = row.get(0);
            tx.execute(
                "INSERT INTO resident_apartments (user_id, apartment_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
                &[&user.0, &apartment],
            )
            .await
            .map_err(classify)?;
            ClaimOutcome::Claimed(ApartmentId(apartment))
        } else {
            let state = tx
                .query_opt(
                    "SELECT claimed_by IS NOT NULL FROM account_codes
                     WHERE account_id = $1 AND secret_hash = $2",
                    &[&account.0, &secret_hash],
                )
                .await?;
            match state.map(|r| r.get::<_, bool>(0)) {
                Some(true) => ClaimOutcome::AlreadyClaimed,
                Some(false) => ClaimOutcome::Replaced,
                None => ClaimOutcome::Unknown,
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn company_buildings(&self, company: CompanyId) -> Result<Vec<Building>, StoreError> {
        let c = self.client().await?;
        Ok(c.query(
            "SELECT id, address, company_id, region_id, lat, lon FROM buildings
             WHERE company_id = $1 ORDER BY address, id",
            &[&company.0],
        )
        .await?
        .iter()
        .map(building_row)
        .collect())
    }
}
