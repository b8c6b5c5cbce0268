//! The tenant registry: one item per registered tenant in the state table's `TENANTS`
//! partition. It is the one partition no tenant scope applies to, since it is what the scopes
//! are found from.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{Item, Store, StoreError, get_s, s};
use crate::tenant::{TenantCredential, TenantRecord};

/// The registry's partition in the state table.
pub const TENANTS_PK: &str = "TENANTS";

impl Store {
    /// Adds `record`, or replaces the tenant's record if it is there; true if it replaced one.
    pub async fn put_tenant(&self, record: &TenantRecord) -> Result<bool, StoreError> {
        let output = self
            .client
            .put_item()
            .table_name(&self.state_table)
            .set_item(Some(tenant_item(record)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("PutItem", &self.state_table, err))?;
        Ok(output.attributes.is_some_and(|old| !old.is_empty()))
    }

    /// Marks the tenant removed (it is no longer synced; its record stays so that its data
    /// can still be reported on); the record, if it was registered.
    pub async fn remove_tenant(
        &self,
        tenant_id: &str,
        at: &str,
    ) -> Result<Option<TenantRecord>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.state_table)
            .key("pk", s(TENANTS_PK))
            .key("sk", s(tenant_id))
            .update_expression("SET removed_at = if_not_exists(removed_at, :at)")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":at", s(at))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => output
                .attributes
                .map(|item| self.tenant_of(&item))
                .transpose(),
            Err(err) if super::is_conditional_failure(&err) => Ok(None),
            Err(err) => Err(StoreError::from_sdk("UpdateItem", &self.state_table, err)),
        }
    }

    /// One tenant's record, if it is registered.
    pub async fn tenant(&self, tenant_id: &str) -> Result<Option<TenantRecord>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.state_table)
            .key("pk", s(TENANTS_PK))
            .key("sk", s(tenant_id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("GetItem", &self.state_table, err))?;
        output.item.map(|item| self.tenant_of(&item)).transpose()
    }

    /// Every registered tenant, in tenant id order; an item that is not a record is an error
    /// in its place (its `sk` and why), so one broken item never hides the others.
    pub async fn tenants(
        &self,
    ) -> Result<Vec<Result<TenantRecord, (String, StoreError)>>, StoreError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.state_table)
            .consistent_read(true)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(TENANTS_PK))
            .into_paginator()
            .items()
            .send();
        let mut records = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|err| StoreError::from_sdk("Query", &self.state_table, err))?;
            let sk = get_s(&item, "sk").unwrap_or_default().to_string();
            records.push(self.tenant_of(&item).map_err(|err| (sk, err)));
        }
        Ok(records)
    }

    fn tenant_of(&self, item: &Item) -> Result<TenantRecord, StoreError> {
        tenant_record(item).ok_or_else(|| StoreError::Corrupt {
            table: self.state_table.clone(),
            key: format!("{TENANTS_PK}/{}", get_s(item, "sk").unwrap_or_default()),
            detail: "a registry item without tenant_id, client_id and a credential ARN; \
                     add the tenant again with add_tenant"
                .into(),
        })
    }
}

fn tenant_item(record: &TenantRecord) -> Item {
    let mut item = Item::from([
        ("pk".into(), s(TENANTS_PK)),
        ("sk".into(), s(&record.tenant_id)),
        ("tenant_id".into(), s(&record.tenant_id)),
        ("client_id".into(), s(&record.client_id)),
        ("added_at".into(), s(&record.added_at)),
    ]);
    if let Some(at) = &record.removed_at {
        item.insert("removed_at".into(), s(at));
    }
    let (field, arn) = match &record.credential {
        TenantCredential::ClientSecretArn(arn) => ("client_secret_arn", arn),
        TenantCredential::ClientCertificateArn(arn) => ("client_certificate_arn", arn),
    };
    item.insert(field.into(), s(arn));
    let optional = [
        ("cloud", &record.cloud),
        ("publisher_id", &record.publisher_id),
        ("audience", &record.audience),
        ("authority", &record.authority),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            item.insert(name.into(), s(value));
        }
    }
    if let Some(types) = &record.content_types {
        let list = types.iter().map(s).collect();
        item.insert("content_types".into(), AttributeValue::L(list));
    }
    item
}

fn tenant_record(item: &Item) -> Option<TenantRecord> {
    let text = |name: &str| get_s(item, name).map(str::to_string);
    let credential = match (text("client_certificate_arn"), text("client_secret_arn")) {
        (Some(arn), _) => TenantCredential::ClientCertificateArn(arn),
        (None, Some(arn)) => TenantCredential::ClientSecretArn(arn),
        (None, None) => return None,
    };
    let content_types = match item.get("content_types") {
        None => None,
        Some(value) => Some(
            value
                .as_l()
                .ok()?
                .iter()
                .map(|v| v.as_s().ok().cloned())
                .collect::<Option<Vec<String>>>()?,
        ),
    };
    Some(TenantRecord {
        tenant_id: text("tenant_id")?,
        client_id: text("client_id")?,
        credential,
        cloud: text("cloud"),
        content_types,
        publisher_id: text("publisher_id"),
        audience: text("audience"),
        authority: text("authority"),
        added_at: text("added_at").unwrap_or_default(),
        removed_at: text("removed_at"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_through_its_item() {
        let record = TenantRecord {
            tenant_id: "0b5d3e7a-2c4f-4a19-8e6d-9f1a2b3c4d5e".into(),
            client_id: "c".into(),
            credential: TenantCredential::ClientSecretArn("audit-log-sync/t".into()),
            cloud: Some("dod".into()),
            content_types: Some(vec!["Audit.General".into()]),
            publisher_id: None,
            audience: Some("http://127.0.0.1:9".into()),
            authority: None,
            added_at: "2026-12-01T00:00:00Z".into(),
            removed_at: Some("2026-12-02T00:00:00Z".into()),
        };
        assert_eq!(tenant_record(&tenant_item(&record)), Some(record));
        assert_eq!(tenant_record(&Item::new()), None);
    }
}
