//! The default Sigma pack (`rules/default/`): it loads whole; every AWS
//! technique of the Stratus Red Team catalogue is detected by it or by a
//! built-in rule, each pack rule fires on its technique's record and stays
//! quiet on a near miss; and a normal day of generated traffic raises no
//! high or critical finding from it.

use std::collections::BTreeSet;
use std::sync::Arc;

use analyzer_wasm::event::Event;
use analyzer_wasm::findings::Findings;
use analyzer_wasm::rules::sigma::{DEFAULT_PACK, RuleSet};
use analyzer_wasm::rules::{RulesConfig, rule};
use analyzer_wasm::session::Session;
use serde_json::{Value, json};

fn pack() -> Arc<RuleSet> {
    let (set, refused) = RuleSet::load_with_default_pack([], |id| rule(id).is_some());
    assert!(refused.is_empty(), "{refused:#?}");
    Arc::new(set)
}

/// The rule ids, built-in and Sigma, that fire on one record.
fn fired(record: &Value, sigma: &Arc<RuleSet>) -> BTreeSet<String> {
    let config = RulesConfig {
        sigma: sigma.clone(),
        ..RulesConfig::default()
    };
    let raw = serde_json::to_vec(record).unwrap();
    let mut findings = Findings::default();
    findings.check(&Event::parse(&raw).unwrap(), &raw, &config);
    findings
        .report(&config)
        .into_iter()
        .map(|f| f.rule_id)
        .collect()
}

/// A call by an IAM user, with these request parameters.
fn call(source: &str, name: &str, params: Value) -> Value {
    json!({
        "eventVersion": "1.09",
        "eventID": "0f8e1d2c-0000-4000-8000-000000000001",
        "eventTime": "2026-11-30T10:00:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.9",
        "userAgent": "aws-cli/2.17.0",
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::111122223333:user/mallory",
            "accountId": "111122223333",
            "userName": "mallory"
        },
        "requestParameters": params
    })
}

fn with(mut record: Value, key: &str, value: Value) -> Value {
    record[key] = value;
    record
}

/// The same call made with an EC2 instance role's credentials.
fn from_instance(record: Value) -> Value {
    with(
        record,
        "userIdentity",
        json!({
            "type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/web-role/i-0adc17a5acb70d9ae",
            "accountId": "111122223333",
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "web-role"}}
        }),
    )
}

fn workload(record: Value) -> Value {
    with(
        record,
        "userIdentity",
        json!({
            "type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/app-task-role/4f1e2d",
            "accountId": "111122223333"
        }),
    )
}

/// One technique: the rule that must catch it, a record of it, and a
/// near miss that rule must not fire on.
struct Case {
    technique: &'static str,
    rule: &'static str,
    fires: Value,
    quiet: Value,
}

fn cases() -> Vec<Case> {
    let ec2 = "ec2.amazonaws.com";
    let iam = "iam.amazonaws.com";
    let s3 = "s3.amazonaws.com";
    let lambda = "lambda.amazonaws.com";
    let c = |technique, rule, fires, quiet| Case {
        technique,
        rule,
        fires,
        quiet,
    };
    vec![
        c(
            "aws.initial-access.console-login-without-mfa",
            "CloudWatch.3",
            with(
                with(
                    call("signin.amazonaws.com", "ConsoleLogin", Value::Null),
                    "additionalEventData",
                    json!({"MFAUsed": "No"}),
                ),
                "responseElements",
                json!({"ConsoleLogin": "Success"}),
            ),
            with(
                with(
                    call("signin.amazonaws.com", "ConsoleLogin", Value::Null),
                    "additionalEventData",
                    json!({"MFAUsed": "Yes"}),
                ),
                "responseElements",
                json!({"ConsoleLogin": "Success"}),
            ),
        ),
        c(
            "aws.execution.ec2-launch-unusual-instances",
            "cta.ec2-unusual-instance-type",
            with(
                call(ec2, "RunInstances", json!({"instanceType": "p2.xlarge"})),
                "errorCode",
                json!("Client.UnauthorizedOperation"),
            ),
            call(ec2, "RunInstances", json!({"instanceType": "t3.micro"})),
        ),
        c(
            "aws.execution.ec2-user-data",
            "cta.ec2-user-data-modified",
            call(
                ec2,
                "ModifyInstanceAttribute",
                json!({"instanceId": "i-0abc", "userData": "<sensitiveDataRemoved>"}),
            ),
            call(
                ec2,
                "ModifyInstanceAttribute",
                json!({"instanceId": "i-0abc", "instanceType": {"value": "t3.large"}}),
            ),
        ),
        c(
            "aws.execution.sagemaker-update-lifecycle-config",
            "cta.sagemaker-lifecycle-config-changed",
            call(
                "sagemaker.amazonaws.com",
                "UpdateNotebookInstance",
                json!({"notebookInstanceName": "nb", "lifecycleConfigName": "evil"}),
            ),
            call(
                "sagemaker.amazonaws.com",
                "UpdateNotebookInstance",
                json!({"notebookInstanceName": "nb", "volumeSizeInGB": 20}),
            ),
        ),
        c(
            "aws.execution.ssm-send-command",
            "cta.ssm-send-command",
            call(
                "ssm.amazonaws.com",
                "SendCommand",
                json!({"instanceIds": ["i-1", "i-2"], "documentName": "AWS-RunShellScript"}),
            ),
            call("ssm.amazonaws.com", "ListCommands", json!({})),
        ),
        c(
            "aws.execution.ssm-start-session",
            "cta.ssm-start-session",
            call(
                "ssm.amazonaws.com",
                "StartSession",
                json!({"target": "i-1"}),
            ),
            call(
                "ssm.amazonaws.com",
                "TerminateSession",
                json!({"sessionId": "s"}),
            ),
        ),
        c(
            "aws.persistence.iam-backdoor-role",
            "cta.iam-role-trust-policy-changed",
            call(
                iam,
                "UpdateAssumeRolePolicy",
                json!({"roleName": "r", "policyDocument": "{\"Principal\":{\"AWS\":\"arn:aws:iam::193672423079:root\"}}"}),
            ),
            call(iam, "GetRole", json!({"roleName": "r"})),
        ),
        c(
            "aws.persistence.iam-backdoor-user",
            "cta.iam-access-key-for-another-user",
            call(iam, "CreateAccessKey", json!({"userName": "victim"})),
            call(iam, "CreateAccessKey", Value::Null),
        ),
        c(
            "aws.persistence.iam-create-admin-user",
            "cta.iam-admin-policy-attached",
            call(
                iam,
                "AttachUserPolicy",
                json!({"userName": "malicious-iam-user", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            ),
            call(
                iam,
                "AttachUserPolicy",
                json!({"userName": "u", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
            ),
        ),
        c(
            "aws.persistence.iam-create-backdoor-role",
            "cta.iam-role-created-trusting-accounts",
            call(
                iam,
                "CreateRole",
                json!({"roleName": "r", "assumeRolePolicyDocument": "{\"Statement\":[{\"Principal\":{\"AWS\": \"arn:aws:iam::193672423079:root\"}}]}"}),
            ),
            call(
                iam,
                "CreateRole",
                json!({"roleName": "r", "assumeRolePolicyDocument": "{\"Statement\":[{\"Principal\":{\"Service\":\"ec2.amazonaws.com\"}}]}"}),
            ),
        ),
        c(
            "aws.persistence.iam-create-user-login-profile",
            "cta.iam-login-profile-created",
            call(
                iam,
                "CreateLoginProfile",
                json!({"userName": "u", "passwordResetRequired": false}),
            ),
            call(iam, "GetLoginProfile", json!({"userName": "u"})),
        ),
        c(
            "aws.persistence.lambda-backdoor-function",
            "cta.lambda-public-invoke-permission",
            call(
                lambda,
                "AddPermission20150331v2",
                json!({"functionName": "f", "principal": "*", "action": "lambda:InvokeFunction"}),
            ),
            call(
                lambda,
                "AddPermission20150331v2",
                json!({"functionName": "f", "principal": "s3.amazonaws.com", "action": "lambda:InvokeFunction"}),
            ),
        ),
        c(
            "aws.persistence.lambda-layer-extension",
            "cta.lambda-layer-attached",
            call(
                lambda,
                "UpdateFunctionConfiguration20150331v2",
                json!({"functionName": "f", "layers": ["arn:aws:lambda:us-east-1:999999999999:layer:ext:1"]}),
            ),
            call(
                lambda,
                "UpdateFunctionConfiguration20150331v2",
                json!({"functionName": "f", "timeout": 30}),
            ),
        ),
        c(
            "aws.persistence.lambda-overwrite-code",
            "cta.lambda-code-updated",
            call(
                lambda,
                "UpdateFunctionCode20150331v2",
                json!({"functionName": "f"}),
            ),
            call(
                lambda,
                "GetFunction20150331v2",
                json!({"functionName": "f"}),
            ),
        ),
        c(
            "aws.persistence.rolesanywhere-create-trust-anchor",
            "cta.rolesanywhere-trust-anchor-created",
            call(
                "rolesanywhere.amazonaws.com",
                "CreateTrustAnchor",
                json!({"name": "a", "source": {"sourceType": "CERTIFICATE_BUNDLE"}}),
            ),
            call("rolesanywhere.amazonaws.com", "ListTrustAnchors", json!({})),
        ),
        c(
            "aws.persistence.sts-federation-token",
            "cta.sts-federation-token",
            call(
                "sts.amazonaws.com",
                "GetFederationToken",
                json!({"name": "stratus_red_team"}),
            ),
            call("sts.amazonaws.com", "GetSessionToken", json!({})),
        ),
        c(
            "aws.privilege-escalation.iam-update-user-login-profile",
            "cta.iam-login-profile-updated",
            call(iam, "UpdateLoginProfile", json!({"userName": "victim"})),
            call(iam, "ChangePassword", Value::Null),
        ),
        c(
            "aws.defense-evasion.cloudtrail-delete",
            "CloudWatch.5",
            call(
                "cloudtrail.amazonaws.com",
                "DeleteTrail",
                json!({"name": "t"}),
            ),
            call("cloudtrail.amazonaws.com", "DescribeTrails", json!({})),
        ),
        c(
            "aws.defense-evasion.cloudtrail-event-selectors",
            "CTA.1",
            call(
                "cloudtrail.amazonaws.com",
                "PutEventSelectors",
                json!({"trailName": "t", "eventSelectors": [{"includeManagementEvents": false}]}),
            ),
            call(
                "cloudtrail.amazonaws.com",
                "GetEventSelectors",
                json!({"trailName": "t"}),
            ),
        ),
        c(
            "aws.defense-evasion.cloudtrail-lifecycle-rule",
            "cta.s3-lifecycle-expiration-set",
            call(
                s3,
                "PutBucketLifecycle",
                json!({"bucketName": "trail-logs", "LifecycleConfiguration": {"Rule": {"ID": "nuke", "Status": "Enabled", "Expiration": {"Days": 1}}}}),
            ),
            call(
                s3,
                "PutBucketLifecycle",
                json!({"bucketName": "b", "LifecycleConfiguration": {"Rule": [{"ID": "ia", "Transition": {"Days": 30, "StorageClass": "STANDARD_IA"}}]}}),
            ),
        ),
        c(
            "aws.defense-evasion.cloudtrail-stop",
            "CloudWatch.5",
            call(
                "cloudtrail.amazonaws.com",
                "StopLogging",
                json!({"name": "t"}),
            ),
            call(
                "cloudtrail.amazonaws.com",
                "GetTrailStatus",
                json!({"name": "t"}),
            ),
        ),
        c(
            "aws.defense-evasion.dns-delete-logs",
            "cta.dns-query-logging-deleted",
            call(
                "route53resolver.amazonaws.com",
                "DeleteResolverQueryLogConfig",
                json!({"resolverQueryLogConfigId": "rqlc-1"}),
            ),
            call(
                "route53resolver.amazonaws.com",
                "ListResolverQueryLogConfigs",
                json!({}),
            ),
        ),
        c(
            "aws.defense-evasion.organizations-leave",
            "CIS.4.15",
            with(
                call(
                    "organizations.amazonaws.com",
                    "LeaveOrganization",
                    Value::Null,
                ),
                "errorCode",
                json!("AccessDenied"),
            ),
            call(
                "organizations.amazonaws.com",
                "DescribeOrganization",
                Value::Null,
            ),
        ),
        c(
            "aws.defense-evasion.vpc-remove-flow-logs",
            "cta.vpc-flow-logs-deleted",
            call(
                ec2,
                "DeleteFlowLogs",
                json!({"DeleteFlowLogsRequest": {"FlowLogId": {"content": "fl-1", "tag": 1}}}),
            ),
            call(ec2, "DescribeFlowLogs", json!({})),
        ),
        c(
            "aws.credential-access.ec2-get-password-data",
            "cta.ec2-password-data-read",
            with(
                call(
                    ec2,
                    "GetPasswordData",
                    json!({"instanceId": "i-i2jnm5swa59p4fxg"}),
                ),
                "errorCode",
                json!("Client.UnauthorizedOperation"),
            ),
            call(ec2, "GetConsoleOutput", json!({"instanceId": "i-1"})),
        ),
        c(
            "aws.credential-access.ec2-steal-instance-credentials",
            "cta.instance-role-discovery",
            from_instance(call("sts.amazonaws.com", "GetCallerIdentity", Value::Null)),
            workload(call("sts.amazonaws.com", "GetCallerIdentity", Value::Null)),
        ),
        c(
            "aws.credential-access.secretsmanager-batch-retrieve-secrets",
            "cta.secrets-batch-retrieved",
            call(
                "secretsmanager.amazonaws.com",
                "BatchGetSecretValue",
                json!({"filters": [{"key": "tag-key", "values": ["!tagKeyThatWillNeverExist"]}]}),
            ),
            call("secretsmanager.amazonaws.com", "ListSecrets", json!({})),
        ),
        c(
            "aws.credential-access.secretsmanager-retrieve-secrets",
            "cta.secret-read-by-person",
            call(
                "secretsmanager.amazonaws.com",
                "GetSecretValue",
                json!({"secretId": "prod/db"}),
            ),
            workload(call(
                "secretsmanager.amazonaws.com",
                "GetSecretValue",
                json!({"secretId": "prod/db"}),
            )),
        ),
        c(
            "aws.credential-access.ssm-retrieve-securestring-parameters",
            "cta.ssm-secure-parameter-read-by-person",
            call(
                "ssm.amazonaws.com",
                "GetParameters",
                json!({"names": ["/credentials/1"], "withDecryption": true}),
            ),
            call(
                "ssm.amazonaws.com",
                "GetParameters",
                json!({"names": ["/config/1"], "withDecryption": false}),
            ),
        ),
        c(
            "aws.discovery.ec2-enumerate-from-instance",
            "cta.instance-role-discovery",
            from_instance(call(iam, "GetAccountAuthorizationDetails", Value::Null)),
            call(iam, "GetAccountAuthorizationDetails", Value::Null),
        ),
        c(
            "aws.discovery.ec2-download-user-data",
            "cta.ec2-user-data-read",
            call(
                ec2,
                "DescribeInstanceAttribute",
                json!({"instanceId": "i-95b86090", "attribute": "userData"}),
            ),
            call(
                ec2,
                "DescribeInstanceAttribute",
                json!({"instanceId": "i-95b86090", "attribute": "instanceType"}),
            ),
        ),
        c(
            "aws.discovery.ses-enumerate",
            "cta.ses-enumeration",
            call("ses.amazonaws.com", "GetSendQuota", Value::Null),
            call("ses.amazonaws.com", "SendEmail", json!({})),
        ),
        c(
            "aws.lateral-movement.ec2-serial-console-send-ssh-public-key",
            "cta.ec2-serial-console-ssh-key",
            call(
                "ec2-instance-connect.amazonaws.com",
                "SendSerialConsoleSSHPublicKey",
                json!({"instanceId": "i-1", "serialPort": 0, "sSHPublicKey": "ssh-ed25519 AAAA"}),
            ),
            call(ec2, "GetSerialConsoleAccessStatus", json!({})),
        ),
        c(
            "aws.lateral-movement.ec2-instance-connect",
            "cta.ec2-instance-connect-ssh-key",
            call(
                "ec2-instance-connect.amazonaws.com",
                "SendSSHPublicKey",
                json!({"instanceId": "i-1", "instanceOSUser": "ec2-user", "sSHPublicKey": "ssh-ed25519 AAAA"}),
            ),
            call(ec2, "DescribeInstanceConnectEndpoints", json!({})),
        ),
        c(
            "aws.exfiltration.ec2-security-group-open-port-22-ingress",
            "cta.security-group-admin-port-open-to-world",
            call(
                ec2,
                "AuthorizeSecurityGroupIngress",
                json!({"groupId": "sg-1", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIp": "0.0.0.0/0", "ipPermissions": {}}),
            ),
            call(
                ec2,
                "AuthorizeSecurityGroupIngress",
                json!({"groupId": "sg-1", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipRanges": {"items": [{"cidrIp": "10.0.0.0/8"}]}}]}}),
            ),
        ),
        c(
            "aws.exfiltration.ec2-share-ami",
            "cta.ami-shared",
            call(
                ec2,
                "ModifyImageAttribute",
                json!({"imageId": "ami-1", "attributeType": "launchPermission", "launchPermission": {"add": {"items": [{"userId": "012345678901"}]}}}),
            ),
            call(
                ec2,
                "ModifyImageAttribute",
                json!({"imageId": "ami-1", "description": {"value": "golden image"}}),
            ),
        ),
        c(
            "aws.exfiltration.ec2-share-ebs-snapshot",
            "cta.ebs-snapshot-shared",
            call(
                ec2,
                "ModifySnapshotAttribute",
                json!({"snapshotId": "snap-1", "attributeType": "CREATE_VOLUME_PERMISSION", "createVolumePermission": {"add": {"items": [{"userId": "098797384747"}]}}}),
            ),
            call(
                ec2,
                "ModifySnapshotAttribute",
                json!({"snapshotId": "snap-1", "createVolumePermission": {"remove": {"items": [{"userId": "098797384747"}]}}}),
            ),
        ),
        c(
            "aws.exfiltration.rds-share-snapshot",
            "cta.rds-snapshot-shared",
            call(
                "rds.amazonaws.com",
                "ModifyDBSnapshotAttribute",
                json!({"dBSnapshotIdentifier": "exfiltration", "attributeName": "restore", "valuesToAdd": ["503161813013"]}),
            ),
            call(
                "rds.amazonaws.com",
                "ModifyDBSnapshotAttribute",
                json!({"dBSnapshotIdentifier": "s", "attributeName": "restore", "valuesToRemove": ["503161813013"]}),
            ),
        ),
        c(
            "aws.exfiltration.s3-backdoor-bucket-policy",
            "CloudWatch.8",
            call(
                s3,
                "PutBucketPolicy",
                json!({"bucketName": "b", "bucketPolicy": {}}),
            ),
            call(s3, "GetBucketPolicy", json!({"bucketName": "b"})),
        ),
        c(
            "aws.impact.bedrock-invoke-model",
            "cta.bedrock-model-invoked",
            call(
                "bedrock.amazonaws.com",
                "InvokeModel",
                json!({"modelId": "anthropic.claude-v2"}),
            ),
            call("bedrock.amazonaws.com", "ListFoundationModels", json!({})),
        ),
        c(
            "aws.impact.s3-ransomware-batch-deletion",
            "cta.s3-objects-batch-deleted",
            call(
                s3,
                "DeleteObjects",
                json!({"bucketName": "b", "delete": "", "x-id": "DeleteObjects"}),
            ),
            call(s3, "ListObjectVersions", json!({"bucketName": "b"})),
        ),
        c(
            "aws.impact.s3-ransomware-client-side-encryption",
            "cta.s3-sse-c-encryption",
            call(
                s3,
                "CopyObject",
                json!({"bucketName": "b", "key": "k", "x-amz-copy-source": "b/k", "x-amz-server-side-encryption-customer-algorithm": "AES256"}),
            ),
            call(
                s3,
                "CopyObject",
                json!({"bucketName": "b", "key": "k", "x-amz-copy-source": "b/k", "x-amz-server-side-encryption": "aws:kms"}),
            ),
        ),
        c(
            "aws.impact.s3-ransomware-individual-deletion",
            "cta.s3-object-version-deleted",
            call(
                s3,
                "DeleteObject",
                json!({"bucketName": "b", "key": "k", "versionId": "3HL4kqtJlcpXroDTDmJ", "x-id": "DeleteObject"}),
            ),
            call(
                s3,
                "DeleteObject",
                json!({"bucketName": "b", "key": "k", "x-id": "DeleteObject"}),
            ),
        ),
    ]
}

/// The AWS techniques of the Stratus Red Team catalogue
/// (stratus-red-team.cloud/attack-techniques/list/), by id.
const STRATUS_AWS: [&str; 43] = [
    "aws.credential-access.ec2-get-password-data",
    "aws.credential-access.ec2-steal-instance-credentials",
    "aws.credential-access.secretsmanager-batch-retrieve-secrets",
    "aws.credential-access.secretsmanager-retrieve-secrets",
    "aws.credential-access.ssm-retrieve-securestring-parameters",
    "aws.defense-evasion.cloudtrail-delete",
    "aws.defense-evasion.cloudtrail-event-selectors",
    "aws.defense-evasion.cloudtrail-lifecycle-rule",
    "aws.defense-evasion.cloudtrail-stop",
    "aws.defense-evasion.dns-delete-logs",
    "aws.defense-evasion.organizations-leave",
    "aws.defense-evasion.vpc-remove-flow-logs",
    "aws.discovery.ec2-download-user-data",
    "aws.discovery.ec2-enumerate-from-instance",
    "aws.discovery.ses-enumerate",
    "aws.execution.ec2-launch-unusual-instances",
    "aws.execution.ec2-user-data",
    "aws.execution.sagemaker-update-lifecycle-config",
    "aws.execution.ssm-send-command",
    "aws.execution.ssm-start-session",
    "aws.exfiltration.ec2-security-group-open-port-22-ingress",
    "aws.exfiltration.ec2-share-ami",
    "aws.exfiltration.ec2-share-ebs-snapshot",
    "aws.exfiltration.rds-share-snapshot",
    "aws.exfiltration.s3-backdoor-bucket-policy",
    "aws.impact.bedrock-invoke-model",
    "aws.impact.s3-ransomware-batch-deletion",
    "aws.impact.s3-ransomware-client-side-encryption",
    "aws.impact.s3-ransomware-individual-deletion",
    "aws.initial-access.console-login-without-mfa",
    "aws.lateral-movement.ec2-instance-connect",
    "aws.lateral-movement.ec2-serial-console-send-ssh-public-key",
    "aws.persistence.iam-backdoor-role",
    "aws.persistence.iam-backdoor-user",
    "aws.persistence.iam-create-admin-user",
    "aws.persistence.iam-create-backdoor-role",
    "aws.persistence.iam-create-user-login-profile",
    "aws.persistence.lambda-backdoor-function",
    "aws.persistence.lambda-layer-extension",
    "aws.persistence.lambda-overwrite-code",
    "aws.persistence.rolesanywhere-create-trust-anchor",
    "aws.persistence.sts-federation-token",
    "aws.privilege-escalation.iam-update-user-login-profile",
];

#[test]
fn the_pack_loads_whole() {
    let set = pack();
    assert_eq!(set.rules().len(), DEFAULT_PACK.len());
    assert_eq!(
        set.unindexed(),
        0,
        "every pack rule is indexed by event name"
    );
    for r in set.rules() {
        assert!(r.id.starts_with("cta."), "{}", r.id);
    }
}

#[test]
fn every_stratus_technique_is_detected_and_each_rule_has_a_near_miss() {
    let set = pack();
    let cases = cases();
    for case in &cases {
        let on_attack = fired(&case.fires, &set);
        assert!(
            on_attack.contains(case.rule),
            "{}: {} does not fire, {on_attack:?} do",
            case.technique,
            case.rule
        );
        let on_miss = fired(&case.quiet, &set);
        assert!(
            !on_miss.contains(case.rule),
            "{}: {} fires on the near miss",
            case.technique,
            case.rule
        );
    }
    let covered: BTreeSet<&str> = cases.iter().map(|c| c.technique).collect();
    let catalogue: BTreeSet<&str> = STRATUS_AWS.into_iter().collect();
    assert_eq!(covered, catalogue);
    let tested: BTreeSet<&str> = cases.iter().map(|c| c.rule).collect();
    for r in set.rules() {
        assert!(tested.contains(r.id.as_str()), "{} has no case", r.id);
    }
}

/// A day of `tools/loggen` traffic (16 account-regions, 76,800 events,
/// the security-relevant writes it plants included) raises no high or
/// critical finding from the pack.
#[test]
fn a_normal_day_raises_no_high_or_critical_pack_finding() {
    let spec = loggen::Spec {
        accounts: loggen::Spec::account_ids(4),
        regions: loggen::Spec::region_names(4),
        days: 1,
        files_per_partition_day: 24,
        events_per_file: 200,
        digest_files: false,
        ..loggen::Spec::small()
    };
    let mut session = Session::open_with_sigma("", pack()).unwrap();
    for file in loggen::generate(&spec) {
        session.add(&file.key, &file.body[..]);
    }
    let report = session.finish();
    assert_eq!(report.summary.events, spec.total_events());
    let findings: Value =
        serde_json::from_slice(&session.artifact("findings.json").unwrap()).unwrap();
    let list = findings["findings"].as_array().unwrap();
    let from_pack: Vec<&Value> = list
        .iter()
        .filter(|f| f["rule_id"].as_str().unwrap().starts_with("cta."))
        .collect();
    let loud: Vec<String> = from_pack
        .iter()
        .filter(|f| f["severity"] == "high" || f["severity"] == "critical")
        .map(|f| format!("{} on {}", f["rule_id"], f["event_name"]))
        .collect();
    assert!(loud.is_empty(), "{loud:?}");
    // The pack does look at this traffic: its medium and low rules fire.
    assert!(!from_pack.is_empty());
}

/// The example rules in `rules/examples/` load and find what they say.
#[test]
fn the_examples_load_and_fire() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/examples");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        files.push((path.display().to_string(), std::fs::read(&path).unwrap()));
    }
    assert_eq!(files.len(), 3);
    let (set, refused) = RuleSet::load(files.iter().map(|(n, c)| (n.as_str(), &c[..])), |id| {
        rule(id).is_some()
    });
    assert!(refused.is_empty(), "{refused:#?}");
    let set = Arc::new(set);
    let iam = "iam.amazonaws.com";
    let admin = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action": "*","Resource": ["*"]}]}"#;
    let scoped = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let examples = [
        (
            "example.iam-policy-allows-everything",
            call(
                iam,
                "PutRolePolicy",
                json!({"roleName": "r", "policyDocument": admin}),
            ),
            call(
                iam,
                "PutRolePolicy",
                json!({"roleName": "r", "policyDocument": scoped}),
            ),
        ),
        (
            "example.s3-bucket-deleted-outside-pipeline",
            call(
                "s3.amazonaws.com",
                "DeleteBucket",
                json!({"bucketName": "b"}),
            ),
            with(
                call(
                    "s3.amazonaws.com",
                    "DeleteBucket",
                    json!({"bucketName": "b"}),
                ),
                "userIdentity",
                json!({"type": "AssumedRole", "sessionContext": {"sessionIssuer": {"userName": "deploy-pipeline"}}}),
            ),
        ),
        (
            "example.calls-from-unexpected-networks",
            with(call(iam, "CreateUser", json!({})), "readOnly", json!(false)),
            with(
                with(call(iam, "CreateUser", json!({})), "readOnly", json!(false)),
                "sourceIPAddress",
                json!("198.51.100.20"),
            ),
        ),
    ];
    for (id, fires, quiet) in examples {
        assert!(fired(&fires, &set).contains(id), "{id} does not fire");
        assert!(
            !fired(&quiet, &set).contains(id),
            "{id} fires on its near miss"
        );
    }
}
