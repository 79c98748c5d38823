//! One CloudTrail record: who calls (the `userIdentity` block, source
//! address, user agent), what (an [`Api`], whose body lives in `apis.rs`),
//! and the envelope fields every record has, in CloudTrail's own order.
//!
//! The mix is driven by two weighted tables: first the kind of caller,
//! then an API that kind of caller plausibly makes. Weights are rough
//! orders of magnitude from real management-and-data-event trails: reads
//! and workload traffic dominate, security-relevant writes are rare.

use crate::apis::{self, Res};
use crate::ids::{push_base32, push_hex, push_uuid};
use crate::json::Obj;
use crate::rng::Rng;
use crate::time;
use crate::world::{Account, Role, RoleKind, User, World, push_public_ipv4};

/// Everything an event needs to know about where it is written.
pub struct EventCtx<'a> {
    pub world: &'a World,
    /// The account whose trail records the event (`recipientAccountId`).
    pub account: &'a Account,
    pub region: &'a str,
    /// `eventTime`, epoch seconds.
    pub time: i64,
    /// `Some(minor)`: the record is written as a trail of 2014–2019 wrote
    /// it, `eventVersion` `1.0<minor>` (2 to 6), without the fields that
    /// came later (see [`write_event`]). `None`: today's format.
    pub legacy: Option<u8>,
}

impl EventCtx<'_> {
    /// Global services (IAM, sign-in...) only appear in the home region's files.
    pub fn is_home_region(&self) -> bool {
        self.region == self.world.home_region
    }
}

/// The `userIdentity.type` values CloudTrail uses, plus the two record
/// kinds without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Caller {
    IamUser,
    AssumedRole,
    Root,
    AwsService,
    FederatedUser,
    AwsAccount,
    SamlUser,
    WebIdentityUser,
    IdentityCenterUser,
    /// `AwsServiceEvent` records whose `userIdentity` is only
    /// `{accountId, invokedBy}`: no `type` key at all.
    ServiceEvent,
    /// CloudTrail Insights records: no `userIdentity` at all.
    Nobody,
}

impl Caller {
    pub fn type_name(self) -> Option<&'static str> {
        Some(match self {
            Caller::IamUser => "IAMUser",
            Caller::AssumedRole => "AssumedRole",
            Caller::Root => "Root",
            Caller::AwsService => "AWSService",
            Caller::FederatedUser => "FederatedUser",
            Caller::AwsAccount => "AWSAccount",
            Caller::SamlUser => "SAMLUser",
            Caller::WebIdentityUser => "WebIdentityUser",
            Caller::IdentityCenterUser => "IdentityCenterUser",
            Caller::ServiceEvent | Caller::Nobody => return None,
        })
    }
}

pub use crate::apis::Api;

/// A caller and what it does; `fail` forces an error (a failed sign-in for
/// `ConsoleLogin`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    pub caller: Caller,
    pub api: Api,
    pub fail: bool,
}

impl Pick {
    pub const fn new(caller: Caller, api: Api) -> Pick {
        Pick {
            caller,
            api,
            fail: false,
        }
    }
    pub const fn failing(caller: Caller, api: Api) -> Pick {
        Pick {
            caller,
            api,
            fail: true,
        }
    }
}

/// Per mille.
const CALLERS: &[(u32, Caller)] = &[
    (540, Caller::AssumedRole),
    (150, Caller::IamUser),
    (150, Caller::AwsService),
    (40, Caller::AwsAccount),
    (30, Caller::IdentityCenterUser),
    (25, Caller::WebIdentityUser),
    (20, Caller::FederatedUser),
    (15, Caller::Root),
    (15, Caller::SamlUser),
    (12, Caller::ServiceEvent),
    (3, Caller::Nobody),
];

/// Picks a caller and an API at random, keeping global services in the
/// home region and every API with a caller that can make it.
pub fn pick(rng: &mut Rng, home_region: bool) -> Pick {
    for _ in 0..16 {
        let caller = *rng.weighted(CALLERS);
        let api = *rng.weighted(apis::table_for(caller));
        if (home_region || !api.info().global) && apis::fits(caller, api) {
            return Pick::new(caller, api);
        }
    }
    Pick::new(Caller::AssumedRole, Api::StsGetCallerIdentity)
}

/// Writes one random record (a JSON object, no trailing comma) to `out`.
pub fn event_json(rng: &mut Rng, ctx: &EventCtx, out: &mut String) {
    let p = pick(rng, ctx.is_home_region());
    write_event(rng, ctx, p, out);
}

/// The principal behind a record, resolved once and read by the identity
/// block, the error message and the API body.
pub struct Who<'a> {
    pub caller: Caller,
    /// The principal's own account (differs from the recipient for cross-account calls).
    pub account: &'a str,
    pub user: Option<&'a User>,
    pub role: Option<&'a Role>,
    pub session: &'a str,
    /// Federated user name, SAML/web-identity subject, or Identity Center user id.
    pub name: &'a str,
    pub provider: &'a str,
    pub invoked_by: Option<&'static str>,
    pub console: bool,
    pub mfa: bool,
    pub creation: i64,
}

impl Who<'_> {
    pub fn has_arn(&self) -> bool {
        matches!(
            self.caller,
            Caller::IamUser | Caller::AssumedRole | Caller::Root | Caller::FederatedUser
        )
    }

    /// The caller's ARN, when it has one (for error messages).
    pub fn push_arn(&self, out: &mut String) -> bool {
        match self.caller {
            Caller::IamUser => {
                let u = self.user.expect("IAM user");
                push_all(out, &["arn:aws:iam::", self.account, ":user/", u.name]);
            }
            Caller::AssumedRole => {
                let r = self.role.expect("role");
                push_all(
                    out,
                    &[
                        "arn:aws:sts::",
                        self.account,
                        ":assumed-role/",
                        &r.name,
                        "/",
                        self.session,
                    ],
                );
            }
            Caller::Root => push_all(out, &["arn:aws:iam::", self.account, ":root"]),
            Caller::FederatedUser => push_all(
                out,
                &["arn:aws:sts::", self.account, ":federated-user/", self.name],
            ),
            _ => return false,
        }
        true
    }
}

pub fn push_all(out: &mut String, parts: &[&str]) {
    for p in parts {
        out.push_str(p);
    }
}

pub fn push_role_arn(out: &mut String, account: &str, role: &Role) {
    push_all(
        out,
        &["arn:aws:iam::", account, ":role/", role.path, &role.name],
    );
}

/// Roles that plausibly make a given call: Lambda roles write logs, the
/// Config role posts evaluations, people sign in through SSO roles.
fn preferred_roles(api: Api) -> &'static [RoleKind] {
    use Api::*;
    use RoleKind::*;
    match api {
        LogsCreateLogStream => &[Lambda, Ecs],
        ConfigPutEvaluations | ConfigDescribeConfigRules | ConfigDescribeConfigurationRecorders => {
            &[Config]
        }
        ConsoleLogin => &[Sso],
        KmsDecrypt | KmsGenerateDataKey | S3GetObject | S3PutObject | S3HeadObject => {
            &[Lambda, Ecs, Ec2, Eks]
        }
        Ec2RunInstances
        | Ec2TerminateInstances
        | Ec2CreateTags
        | LambdaUpdateFunctionCode
        | S3CreateBucket => &[Ci, Admin],
        Ec2DescribeInstances | Ec2DescribeVolumes => &[Ec2, Ci, Sso, Config],
        StsGetCallerIdentity => &[Ci, Sso, Eks, Ec2],
        _ => &[Sso, Admin, Ci, Saml],
    }
}

fn pick_role<'a>(acct: &'a Account, api: Api, rng: &mut Rng) -> &'a Role {
    if rng.per_mille(800) {
        let kinds = preferred_roles(api);
        let n = acct
            .roles
            .iter()
            .filter(|r| kinds.contains(&r.kind))
            .count();
        if n > 0 {
            let k = rng.below(n as u64) as usize;
            return acct
                .roles
                .iter()
                .filter(|r| kinds.contains(&r.kind))
                .nth(k)
                .expect("counted");
        }
    }
    rng.pick(&acct.roles)
}

/// Services that make calls as `AWSService` or on a principal's behalf.
const SERVICES: &[&str] = &[
    "cloudtrail.amazonaws.com",
    "lambda.amazonaws.com",
    "ec2.amazonaws.com",
    "config.amazonaws.com",
    "logs.amazonaws.com",
    "s3.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "cloudfront.amazonaws.com",
    "backup.amazonaws.com",
    "guardduty.amazonaws.com",
];

fn resolve<'a>(rng: &mut Rng, ctx: &EventCtx<'a>, p: Pick) -> Who<'a> {
    let acct = ctx.account;
    let mut who = Who {
        caller: p.caller,
        account: &acct.id,
        user: None,
        role: None,
        session: "",
        name: "",
        provider: "",
        invoked_by: None,
        console: false,
        mfa: false,
        creation: ctx.time - rng.range(30, 3 * 3600) as i64,
    };
    match p.caller {
        Caller::IamUser => {
            let u = rng.pick(&acct.users);
            who.user = Some(u);
            // People use the console; service users never do.
            let human = !u.name.contains('-') && u.name != "terraform";
            who.console = human && (p.api == Api::ConsoleLogin || rng.per_mille(350));
            who.mfa = who.console && rng.per_mille(850);
        }
        Caller::AssumedRole => {
            let role = pick_role(acct, p.api, rng);
            who.role = Some(role);
            who.session = rng.pick_str(&role.sessions);
            match role.kind {
                RoleKind::Sso => who.console = p.api == Api::ConsoleLogin || rng.per_mille(650),
                RoleKind::Admin | RoleKind::Saml => who.console = rng.per_mille(400),
                RoleKind::Config => who.invoked_by = Some("config.amazonaws.com"),
                _ => {}
            }
            // Services acting with the caller's credentials.
            if who.invoked_by.is_none() && !who.console {
                if matches!(p.api, Api::KmsDecrypt | Api::KmsGenerateDataKey) && rng.per_mille(300)
                {
                    who.invoked_by =
                        Some(*rng.pick(&["s3.amazonaws.com", "secretsmanager.amazonaws.com"]));
                } else if rng.per_mille(25) {
                    who.invoked_by = Some("cloudformation.amazonaws.com");
                }
            }
        }
        Caller::Root => {
            who.console = p.api == Api::ConsoleLogin || rng.per_mille(900);
            who.mfa = rng.per_mille(900);
            if p.api != Api::ConsoleLogin && rng.per_mille(200) {
                who.invoked_by = Some(*rng.pick(&[
                    "signin.amazonaws.com",
                    "support.amazonaws.com",
                    "AWS Internal",
                ]));
            }
        }
        Caller::AwsService => {
            who.invoked_by = Some(match p.api {
                Api::S3GetBucketAcl | Api::S3PutObject | Api::S3GetBucketLocation => {
                    *rng.pick(&["cloudtrail.amazonaws.com", "config.amazonaws.com"])
                }
                _ => *rng.pick(SERVICES),
            });
        }
        Caller::FederatedUser => {
            who.user = acct.user("fed-broker");
            who.name = *rng.pick(&["partner-portal", "bob", "reporting-session", "vendor-acme"]);
        }
        Caller::AwsAccount => {
            who.account = ctx.world.other_account(acct, rng);
        }
        Caller::SamlUser => {
            let role = acct
                .roles_of(RoleKind::Saml)
                .next()
                .unwrap_or(&acct.roles[0]);
            who.role = Some(role);
            who.name = rng.pick_str(&role.sessions);
            who.provider = &acct.saml_idp;
        }
        Caller::WebIdentityUser => {
            let kind = if rng.per_mille(600) {
                RoleKind::Eks
            } else {
                RoleKind::Ci
            };
            who.role = acct.roles_of(kind).next();
            if kind == RoleKind::Eks {
                who.name = "system:serviceaccount:kube-system:external-dns";
                who.provider = &acct.eks_oidc;
            } else {
                who.name = *rng.pick(&[
                    "repo:acme/infra:ref:refs/heads/main",
                    "repo:acme/web:environment:production",
                ]);
                who.provider = "token.actions.githubusercontent.com";
            }
        }
        Caller::IdentityCenterUser => {
            let (_, id) = rng.pick(&acct.sso_users);
            who.name = id.as_str();
            who.console = true;
        }
        Caller::ServiceEvent => {
            who.invoked_by = Some(match p.api {
                Api::BackupJobCompleted => "backup.amazonaws.com",
                _ => "kms.amazonaws.com",
            });
        }
        Caller::Nobody => {}
    }
    who
}

/// `eventVersion` of the older formats, by minor version (index 2 to 6).
const LEGACY_VERSIONS: [&str; 7] = ["1.0", "1.01", "1.02", "1.03", "1.04", "1.05", "1.06"];

/// Per mille of `AWSService` records of an older trail that have no
/// `sourceIPAddress` (an older trail's `AwsServiceEvent` records never do).
const LEGACY_SERVICE_NO_SOURCE: u32 = 250;

/// Writes one record for `p` (a JSON object, no trailing comma) to `out`.
///
/// With `ctx.legacy` set, the record has the shape of its older
/// `eventVersion` (fields by the version that brought them, as CloudTrail's
/// record reference lists them): no `eventCategory` (1.07), `tlsDetails`,
/// `sessionCredentialFromConsole` (1.08) or `vpcEndpointAccountId`; no
/// `managementEvent` before 1.06, no `vpcEndpointId` before 1.04, no
/// `sharedEventID` before 1.03; `AwsServiceEvent` records (which need
/// 1.05 for `serviceEventDetails`) have no `sourceIPAddress` nor
/// `userAgent`, and some `AWSService` calls no `sourceIPAddress`. Records
/// of 1.02 and 1.03 carry no `resources` (few services filled them in).
pub fn write_event(rng: &mut Rng, ctx: &EventCtx, p: Pick, out: &mut String) {
    if p.api == Api::Insight {
        apis::write_insight(rng, ctx, out);
        return;
    }
    let info = p.api.info();
    let service_event = info.service_event;
    let legacy = ctx.legacy.map(|m| if service_event { m.max(5) } else { m });
    // Is a field that came with version 1.0<minor> written?
    let since = |minor: u8| legacy.is_none_or(|m| m >= minor);
    let who = resolve(rng, ctx, p);
    let mut o = Obj::open(out);
    o.str(
        "eventVersion",
        match legacy {
            Some(m) => LEGACY_VERSIONS[usize::from(m)],
            None if rng.per_mille(600) => "1.09",
            None => "1.08",
        },
    );
    write_identity(&mut o, rng, ctx, &who, p);
    o.str_with("eventTime", |s| time::push_iso(s, ctx.time));
    o.str("eventSource", info.source);
    o.str("eventName", info.name);
    o.str("awsRegion", ctx.region);
    let private_ip = write_source(&mut o, rng, ctx, &who, p.api);

    let sign_in = p.api == Api::ConsoleLogin;
    // Errors: ~6% of ordinary calls, rarely on calls that services make.
    let error_rate = match p.caller {
        Caller::AwsService | Caller::ServiceEvent => 5,
        _ if sign_in => 120,
        _ => 60,
    };
    let failed = !service_event && (p.fail || rng.per_mille(error_rate));
    if failed {
        apis::write_error(&mut o, rng, ctx, &who, p.api);
    }
    let res = apis::write_body(&mut o, rng, ctx, &who, p.api, failed);

    if !sign_in {
        if info.source == "s3.amazonaws.com" {
            o.str_with("requestID", |s| crate::ids::push_upper_alnum(s, rng, 16));
        } else {
            o.str_with("requestID", |s| push_uuid(s, rng, 4));
        }
    }
    // AWS-made calls carry version-3 event ids in real trails.
    let version = if who.invoked_by.is_some() && p.caller == Caller::AwsService {
        3
    } else {
        4
    };
    o.str_with("eventID", |s| push_uuid(s, rng, version));
    o.bool("readOnly", info.read_only);
    if since(4) {
        apis::write_resources(&mut o, ctx, &res);
    }
    o.str(
        "eventType",
        if sign_in {
            "AwsConsoleSignIn"
        } else if service_event {
            "AwsServiceEvent"
        } else {
            "AwsApiCall"
        },
    );
    if since(6) {
        o.bool("managementEvent", !info.data);
    }
    o.str("recipientAccountId", &ctx.account.id);
    if since(3) && matches!(p.caller, Caller::AwsService | Caller::AwsAccount) {
        o.str_with("sharedEventID", |s| push_uuid(s, rng, 4));
    }
    if private_ip && since(4) {
        o.str_with("vpcEndpointId", |s| {
            s.push_str("vpce-0");
            push_hex(s, rng, 16);
        });
        if legacy.is_none() {
            o.str("vpcEndpointAccountId", &ctx.account.id);
        }
    }
    if service_event {
        apis::write_service_event_details(&mut o, rng, ctx, p.api);
    }
    if legacy.is_some() {
        return;
    }
    o.str(
        "eventCategory",
        if info.data { "Data" } else { "Management" },
    );
    if who.invoked_by.is_none() && !service_event {
        write_tls(&mut o, rng, ctx, &res, &who, p.api);
    }
    if who.console && !sign_in {
        o.str("sessionCredentialFromConsole", "true");
    }
}

fn write_identity(o: &mut Obj, rng: &mut Rng, ctx: &EventCtx, who: &Who, p: Pick) {
    let mut id = o.obj("userIdentity");
    let acct = who.account;
    let sign_in = p.api == Api::ConsoleLogin;
    if let Some(t) = who.caller.type_name() {
        id.str("type", t);
    }
    match who.caller {
        Caller::IamUser => {
            let u = who.user.expect("user");
            if sign_in && p.fail && rng.per_mille(500) {
                // A wrong user name: CloudTrail hides what was typed.
                id.str("principalId", &u.id)
                    .str("accountId", acct)
                    .str("accessKeyId", "");
                id.str("userName", "HIDDEN_DUE_TO_SECURITY_REASONS");
                return;
            }
            id.str("principalId", &u.id);
            id.str_with("arn", |s| {
                push_all(s, &["arn:aws:iam::", acct, ":user/", u.name])
            });
            id.str("accountId", acct);
            if sign_in {
                id.str("accessKeyId", "");
            } else if who.console {
                id.str_with("accessKeyId", |s| temp_key(s, rng));
            } else {
                id.str("accessKeyId", &u.access_key);
            }
            id.str("userName", u.name);
            if who.console && !sign_in {
                let mut sc = id.obj("sessionContext");
                sc.obj("sessionIssuer");
                sc.obj("webIdFederationData");
                attributes(&mut sc, who);
            }
        }
        Caller::AssumedRole => {
            let r = who.role.expect("role");
            id.str_with("principalId", |s| push_all(s, &[&r.id, ":", who.session]));
            id.str_with("arn", |s| {
                push_all(
                    s,
                    &[
                        "arn:aws:sts::",
                        acct,
                        ":assumed-role/",
                        &r.name,
                        "/",
                        who.session,
                    ],
                )
            });
            id.str("accountId", acct);
            if !sign_in {
                id.str_with("accessKeyId", |s| temp_key(s, rng));
            }
            let mut sc = id.obj("sessionContext");
            {
                let mut issuer = sc.obj("sessionIssuer");
                issuer.str("type", "Role").str("principalId", &r.id);
                issuer.str_with("arn", |s| push_role_arn(s, acct, r));
                issuer.str("accountId", acct).str("userName", &r.name);
            }
            sc.obj("webIdFederationData");
            attributes(&mut sc, who);
            if r.kind == RoleKind::Ec2 && ctx.legacy.is_none() {
                sc.str("ec2RoleDelivery", "2.0");
            }
            drop(sc);
            if let Some(by) = who.invoked_by {
                id.str("invokedBy", by);
            }
        }
        Caller::Root => {
            id.str("principalId", acct);
            id.str_with("arn", |s| push_all(s, &["arn:aws:iam::", acct, ":root"]));
            id.str("accountId", acct);
            if sign_in {
                id.str("accessKeyId", "");
            } else {
                id.str_with("accessKeyId", |s| temp_key(s, rng));
                let mut sc = id.obj("sessionContext");
                sc.obj("sessionIssuer");
                sc.obj("webIdFederationData");
                attributes(&mut sc, who);
            }
            if let Some(by) = who.invoked_by {
                id.str("invokedBy", by);
            }
        }
        Caller::AwsService => {
            id.str("invokedBy", who.invoked_by.unwrap_or("AWS Internal"));
        }
        Caller::FederatedUser => {
            let u = who.user.expect("broker user");
            id.str_with("principalId", |s| push_all(s, &[acct, ":", who.name]));
            id.str_with("arn", |s| {
                push_all(s, &["arn:aws:sts::", acct, ":federated-user/", who.name])
            });
            id.str("accountId", acct);
            id.str_with("accessKeyId", |s| temp_key(s, rng));
            let mut sc = id.obj("sessionContext");
            {
                let mut issuer = sc.obj("sessionIssuer");
                issuer.str("type", "IAMUser").str("principalId", &u.id);
                issuer.str_with("arn", |s| {
                    push_all(s, &["arn:aws:iam::", acct, ":user/", u.name])
                });
                issuer.str("accountId", acct).str("userName", u.name);
            }
            sc.obj("webIdFederationData");
            attributes(&mut sc, who);
        }
        Caller::AwsAccount => {
            id.str_with("principalId", |s| {
                if rng.per_mille(500) {
                    s.push_str("AIDA");
                    push_base32(s, rng, 17);
                } else {
                    s.push_str("AROA");
                    push_base32(s, rng, 17);
                    s.push_str(":session");
                }
            });
            id.str("accountId", acct);
        }
        Caller::SamlUser => {
            id.str_with("principalId", |s| {
                push_all(s, &[who.provider, ":", who.name])
            });
            id.str("userName", who.name);
            id.str("identityProvider", who.provider);
        }
        Caller::WebIdentityUser => {
            id.str_with("principalId", |s| {
                if who.provider.starts_with("arn:") {
                    push_all(s, &[who.provider, ":sts.amazonaws.com:", who.name]);
                } else {
                    push_all(s, &["arn:aws:iam::", acct, ":oidc-provider/", who.provider]);
                    push_all(s, &[":sts.amazonaws.com:", who.name]);
                }
            });
            id.str("userName", who.name);
            if who.provider.starts_with("arn:") {
                id.str("identityProvider", who.provider);
            } else {
                id.str_with("identityProvider", |s| {
                    push_all(s, &["arn:aws:iam::", acct, ":oidc-provider/", who.provider])
                });
            }
        }
        Caller::IdentityCenterUser => {
            id.str("accountId", acct);
            {
                let mut on = id.obj("onBehalfOf");
                on.str("userId", who.name);
                let store = &ctx.account.identity_store;
                on.str_with("identityStoreArn", |s| {
                    push_all(
                        s,
                        &["arn:aws:identitystore::", acct, ":identitystore/", store],
                    )
                });
            }
            id.str_with("credentialId", |s| push_uuid(s, rng, 4));
        }
        Caller::ServiceEvent => {
            id.str("accountId", acct);
            id.str("invokedBy", who.invoked_by.unwrap_or("AWS Internal"));
        }
        Caller::Nobody => {}
    }
}

fn attributes(sc: &mut Obj, who: &Who) {
    let mut a = sc.obj("attributes");
    a.str_with("creationDate", |s| time::push_iso(s, who.creation));
    a.str("mfaAuthenticated", if who.mfa { "true" } else { "false" });
}

fn temp_key(s: &mut String, rng: &mut Rng) {
    s.push_str("ASIA");
    push_base32(s, rng, 16);
}

const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
];
const CLI: &[&str] = &[
    "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1019-aws md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off",
    "aws-cli/2.21.0 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off",
    "aws-cli/1.36.10 md/Botocore#1.35.69 ua/2.0 os/windows#10 md/arch#amd64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#legacy botocore/1.35.69",
];
const SDKS: &[&str] = &[
    "Boto3/1.35.69 md/Botocore#1.35.69 ua/2.0 os/linux#5.10.228-219.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.69",
    "aws-sdk-java/2.29.20 Linux/5.10.228-219.884.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS Java/21.0.5 vendor/Amazon.com_Inc. md/internal exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/legacy",
    "aws-sdk-go-v2/1.32.5 ua/2.0 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64 api/sts#1.33.1",
    "aws-sdk-js/3.699.0 ua/2.1 os/linux#5.10.228-219.884.amzn2.x86_64 lang/js md/nodejs#20.18.1 api/s3#3.699.0",
];
const LAMBDA_SDKS: &[&str] = &[
    "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#5.10.227-239.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.36",
    "aws-sdk-js/3.679.0 ua/2.1 os/linux#5.10.227-239.884.amzn2.x86_64 lang/js md/nodejs#20.18.0 exec-env/AWS_Lambda_nodejs20.x api/dynamodb#3.679.0",
];
const TERRAFORM: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.78.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.5 ua/2.0 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.194.0";
const SSM_AGENT: &str = "aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) amazon-ssm-agent/";
const S3_CONSOLE: &str = "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750 Linux/5.10.228-198.884.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.432-b06 java/1.8.0_432 vendor/Oracle_Corporation cfg/retry-mode/standard]";

/// Writes `sourceIPAddress` and `userAgent`; returns true when the call
/// came through a VPC endpoint from a private address.
fn write_source(o: &mut Obj, rng: &mut Rng, ctx: &EventCtx, who: &Who, api: Api) -> bool {
    if let Some(by) = who.invoked_by {
        // Older trails logged some records made by services without a
        // source address (and service events without a user agent either).
        let old_service_event = ctx.legacy.is_some() && who.caller == Caller::ServiceEvent;
        let no_source = old_service_event
            || (ctx.legacy.is_some()
                && who.caller == Caller::AwsService
                && rng.per_mille(LEGACY_SERVICE_NO_SOURCE));
        if !no_source {
            o.str("sourceIPAddress", by);
        }
        if !old_service_event {
            o.str("userAgent", by);
        }
        return false;
    }
    let workload = who.role.is_some_and(|r| {
        matches!(
            r.kind,
            RoleKind::Ec2 | RoleKind::Lambda | RoleKind::Ecs | RoleKind::Eks
        )
    }) && who.caller == Caller::AssumedRole;
    let vpc = workload
        && matches!(
            api.info().source,
            "s3.amazonaws.com" | "kms.amazonaws.com" | "sts.amazonaws.com"
        )
        && rng.per_mille(150);
    o.str_with("sourceIPAddress", |s| {
        if vpc {
            s.push_str("10.0.");
            crate::time::push_uint(s, rng.below(64));
            s.push('.');
            crate::time::push_uint(s, rng.range(4, 250));
        } else if rng.per_mille(if workload { 500 } else { 820 }) {
            s.push_str(rng.pick_str(&ctx.account.ips));
        } else if rng.per_mille(40) {
            // The long tail also has some IPv6.
            s.push_str("2600:1f18:");
            for i in 0..6 {
                push_hex(s, rng, 4);
                if i < 5 {
                    s.push(':');
                }
            }
        } else {
            push_public_ipv4(s, rng);
        }
    });
    let ua: &str = if api == Api::ConsoleLogin || who.caller == Caller::IdentityCenterUser {
        rng.pick_str(BROWSERS)
    } else if who.console {
        match api.info().source {
            "s3.amazonaws.com" => S3_CONSOLE,
            _ if rng.per_mille(300) => "AWS Internal",
            _ => rng.pick_str(BROWSERS),
        }
    } else {
        let kind = who.role.map(|r| r.kind);
        match kind {
            Some(RoleKind::Lambda) => rng.pick_str(LAMBDA_SDKS),
            Some(RoleKind::Ci) => {
                if rng.per_mille(500) {
                    TERRAFORM
                } else {
                    rng.pick_str(CLI)
                }
            }
            Some(RoleKind::Ec2) if api == Api::Ec2DescribeInstances => SSM_AGENT,
            Some(RoleKind::Ec2 | RoleKind::Ecs | RoleKind::Eks) => rng.pick_str(SDKS),
            _ if who.user.is_some_and(|u| u.name == "terraform") => TERRAFORM,
            _ if rng.per_mille(550) => rng.pick_str(CLI),
            _ => rng.pick_str(SDKS),
        }
    };
    o.str("userAgent", ua);
    vpc
}

fn write_tls(o: &mut Obj, rng: &mut Rng, ctx: &EventCtx, res: &Res, who: &Who, api: Api) {
    let source = api.info().source;
    let mut t = o.obj("tlsDetails");
    // Console calls often log only the host header.
    if !who.console || rng.per_mille(500) {
        if rng.per_mille(650) {
            t.str("tlsVersion", "TLSv1.3");
            t.str(
                "cipherSuite",
                if rng.per_mille(700) {
                    "TLS_AES_128_GCM_SHA256"
                } else {
                    "TLS_AES_256_GCM_SHA384"
                },
            );
        } else {
            t.str("tlsVersion", "TLSv1.2");
            t.str("cipherSuite", "ECDHE-RSA-AES128-GCM-SHA256");
        }
    }
    let region = ctx.region;
    t.str_with("clientProvidedHostHeader", |s| match source {
        "iam.amazonaws.com" => s.push_str("iam.amazonaws.com"),
        "signin.amazonaws.com" => s.push_str("signin.aws.amazon.com"),
        "sso.amazonaws.com" => push_all(s, &["portal.sso.", region, ".amazonaws.com"]),
        "organizations.amazonaws.com" => s.push_str("organizations.us-east-1.amazonaws.com"),
        "sts.amazonaws.com" if rng.per_mille(300) => s.push_str("sts.amazonaws.com"),
        "s3.amazonaws.com" => {
            if let Some(b) = res.bucket() {
                push_all(s, &[b, ".s3.", region, ".amazonaws.com"]);
            } else {
                push_all(s, &["s3.", region, ".amazonaws.com"]);
            }
        }
        _ => {
            let svc = source.strip_suffix(".amazonaws.com").unwrap_or(source);
            push_all(s, &[svc, ".", region, ".amazonaws.com"]);
        }
    });
}
