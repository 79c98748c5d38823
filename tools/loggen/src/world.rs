//! The fixed cast of each account: users, roles, buckets, keys, instances,
//! office IPs. Built once per spec from the seed, so the same principal has
//! the same ids in every file and a run looks like one organization's
//! traffic rather than noise.

use crate::Spec;
use crate::ids::{self, push_base32, push_hex};
use crate::rng::Rng;

/// Used for cross-account callers when the spec has a single account.
pub const EXTERNAL_ACCOUNT: &str = "999988887777";

pub struct World {
    pub accounts: Vec<Account>,
    /// Where global services (IAM, Organizations, sign-in, Identity Center)
    /// log: us-east-1 when the spec has it, as CloudTrail does.
    pub home_region: String,
    /// One bucket receives every trail of the spec, as in a log archive account.
    pub trail_bucket: String,
}

pub struct Account {
    pub index: usize,
    pub id: String,
    /// `Some` when this account's logs are written by the organization trail.
    pub org_id: Option<String>,
    pub trail_name: &'static str,
    pub users: Vec<User>,
    pub roles: Vec<Role>,
    pub buckets: Vec<String>,
    pub kms_keys: Vec<String>,
    pub functions: Vec<&'static str>,
    pub instances: Vec<String>,
    pub vpcs: Vec<String>,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub detector_id: String,
    /// The handful of addresses most calls come from (offices, NAT gateways).
    pub ips: Vec<String>,
    pub identity_store: String,
    pub sso_users: Vec<(&'static str, String)>,
    pub saml_idp: String,
    pub eks_oidc: String,
}

pub struct User {
    pub name: &'static str,
    pub id: String,
    pub access_key: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleKind {
    /// `AWSReservedSSO_*`: people from Identity Center, often in the console.
    Sso,
    /// `OrganizationAccountAccessRole`, admins hopping in from the management account.
    Admin,
    /// CI/CD (GitHub Actions, Terraform).
    Ci,
    Ec2,
    Lambda,
    Ecs,
    /// `AWSServiceRoleForConfig`: a service-linked role.
    Config,
    /// Pods assuming roles through the EKS OIDC provider.
    Eks,
    /// Assumed through an external SAML IdP (Okta).
    Saml,
}

pub struct Role {
    pub name: String,
    pub path: &'static str,
    pub id: String,
    pub kind: RoleKind,
    pub sessions: Vec<String>,
}

const USER_NAMES: &[&str] = &[
    "alice",
    "bob",
    "carol",
    "dave",
    "ci-deploy",
    "terraform",
    "backup-operator",
    "svc-reporting",
    "erin",
];
const PEOPLE: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
];
pub const FUNCTIONS: &[&str] = &[
    "order-processor",
    "thumbnail-generator",
    "slack-notifier",
    "cost-report",
    "api-authorizer",
    "s3-event-indexer",
];
const BUCKET_PURPOSES: &[&str] = &[
    "data-lake",
    "app-assets",
    "terraform-state",
    "athena-results",
    "backups",
    "web-uploads",
];

impl World {
    pub fn new(spec: &Spec) -> World {
        let home_region =
            if spec.regions.iter().any(|r| r == "us-east-1") || spec.regions.is_empty() {
                "us-east-1".to_owned()
            } else {
                spec.regions[0].clone()
            };
        let mut rng = Rng::derive(spec.seed, &[0x57_0124]);
        let first = spec
            .accounts
            .first()
            .map_or(EXTERNAL_ACCOUNT, String::as_str);
        let mut trail_bucket = format!("aws-cloudtrail-logs-{first}-");
        push_hex(&mut trail_bucket, &mut rng, 8);
        let accounts = spec
            .accounts
            .iter()
            .enumerate()
            .map(|(i, id)| Account::new(spec, i, id, &home_region))
            .collect();
        World {
            accounts,
            home_region,
            trail_bucket,
        }
    }

    /// Another account of the spec (or an outside one) for cross-account calls.
    pub fn other_account<'a>(&'a self, me: &Account, rng: &mut Rng) -> &'a str {
        if self.accounts.len() < 2 {
            return EXTERNAL_ACCOUNT;
        }
        let k = rng.below(self.accounts.len() as u64 - 1) as usize;
        let k = if k >= me.index { k + 1 } else { k };
        &self.accounts[k].id
    }
}

impl Account {
    fn new(spec: &Spec, index: usize, id: &str, home_region: &str) -> Account {
        let mut rng = Rng::derive(spec.seed, &[0xACC7, index as u64]);
        let r = &mut rng;
        // Odd-indexed accounts are logged by the organization trail, the
        // others by their own account trail: a log-archive bucket commonly
        // holds both layouts, and Spec::small (3 accounts) gets exactly one
        // org account.
        let org_id = spec.org_id.clone().filter(|_| index % 2 == 1);
        let trail_name = if org_id.is_some() {
            "org-trail"
        } else {
            "management-events"
        };

        // Every account has the broker that FederatedUser sessions come from.
        let n_users = 5 + r.below(4) as usize;
        let users = USER_NAMES[..n_users]
            .iter()
            .chain(&["fed-broker"])
            .map(|&name| User {
                name,
                id: ids::prefixed("AIDA", r, push_base32, 17),
                access_key: ids::prefixed("AKIA", r, push_base32, 16),
            })
            .collect();

        let instances: Vec<String> = (0..4)
            .map(|_| ids::prefixed("i-0", r, push_hex, 16))
            .collect();
        let functions: Vec<&'static str> = FUNCTIONS[..3 + r.below(4) as usize].to_vec();
        let sso_users: Vec<(&'static str, String)> = PEOPLE[..4 + r.below(4) as usize]
            .iter()
            .map(|&p| (p, ids::uuid(r)))
            .collect();
        let emails: Vec<String> = sso_users
            .iter()
            .map(|(p, _)| format!("{p}@example.com"))
            .collect();

        let mut roles = Vec::new();
        let mut role = |name: String,
                        path: &'static str,
                        kind: RoleKind,
                        sessions: Vec<String>,
                        r: &mut Rng| {
            roles.push(Role {
                name,
                path,
                id: ids::prefixed("AROA", r, push_base32, 17),
                kind,
                sessions,
            })
        };
        let sso = "aws-reserved/sso.amazonaws.com/";
        let admin = format!("AWSReservedSSO_AdministratorAccess_{}", hex(r, 16));
        role(admin, sso, RoleKind::Sso, emails[..2].to_vec(), r);
        let ro = format!("AWSReservedSSO_ReadOnlyAccess_{}", hex(r, 16));
        role(ro, sso, RoleKind::Sso, emails.clone(), r);
        let people: Vec<String> = PEOPLE[..3].iter().map(|s| s.to_string()).collect();
        role(
            "OrganizationAccountAccessRole".into(),
            "",
            RoleKind::Admin,
            people,
            r,
        );
        let ci = vec!["GitHubActions".to_owned(), "terraform-apply".to_owned()];
        role("github-actions-deploy".into(), "", RoleKind::Ci, ci, r);
        role(
            "ec2-app-role".into(),
            "",
            RoleKind::Ec2,
            instances.clone(),
            r,
        );
        for f in &functions {
            role(
                format!("{f}-role"),
                "",
                RoleKind::Lambda,
                vec![(*f).to_owned()],
                r,
            );
        }
        let tasks = (0..3).map(|_| hex(r, 32)).collect();
        role("ecs-task-web".into(), "", RoleKind::Ecs, tasks, r);
        let config = vec![
            "AWSConfig-Describe".to_owned(),
            "AWSConfig-BucketConfigCheck".to_owned(),
        ];
        role(
            "AWSServiceRoleForConfig".into(),
            "aws-service-role/config.amazonaws.com/",
            RoleKind::Config,
            config,
            r,
        );
        let pods = (0..2)
            .map(|_| format!("botocore-session-{}", 1_700_000_000 + r.below(99_999_999)))
            .collect();
        role("eks-external-dns".into(), "", RoleKind::Eks, pods, r);
        role(
            "okta-PowerUser".into(),
            "",
            RoleKind::Saml,
            emails.clone(),
            r,
        );

        let buckets = BUCKET_PURPOSES[..3 + r.below(4) as usize]
            .iter()
            .map(|p| format!("acme-{p}-{id}"))
            .collect();

        // A handful of stable public addresses: offices, VPN, NAT gateways.
        let n_ips = 4 + r.below(3) as usize;
        let ips = (0..n_ips).map(|_| public_ipv4(r)).collect();

        Account {
            index,
            id: id.to_owned(),
            org_id,
            trail_name,
            users,
            roles,
            buckets,
            kms_keys: (0..3).map(|_| ids::uuid(r)).collect(),
            functions,
            instances,
            vpcs: (0..2)
                .map(|_| ids::prefixed("vpc-0", r, push_hex, 16))
                .collect(),
            subnets: (0..3)
                .map(|_| ids::prefixed("subnet-0", r, push_hex, 16))
                .collect(),
            security_groups: (0..3)
                .map(|_| ids::prefixed("sg-0", r, push_hex, 16))
                .collect(),
            detector_id: hex(r, 32),
            ips,
            identity_store: format!("d-90{}", 67_000_000 + r.below(999_999)),
            sso_users,
            saml_idp: {
                let mut s = String::new();
                ids::push_base64(&mut s, r, 27);
                s.push('=');
                s
            },
            eks_oidc: format!(
                "arn:aws:iam::{id}:oidc-provider/oidc.eks.{home_region}.amazonaws.com/id/{}",
                hex(r, 32).to_uppercase()
            ),
        }
    }

    pub fn roles_of(&self, kind: RoleKind) -> impl Iterator<Item = &Role> {
        self.roles.iter().filter(move |r| r.kind == kind)
    }

    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }
}

fn hex(r: &mut Rng, n: usize) -> String {
    let mut s = String::with_capacity(n);
    push_hex(&mut s, r, n);
    s
}

/// A public-looking IPv4 address: first octets from ranges big clouds and
/// ISPs use, never private, loopback or multicast space.
pub fn public_ipv4(r: &mut Rng) -> String {
    let mut s = String::with_capacity(15);
    push_public_ipv4(&mut s, r);
    s
}

pub fn push_public_ipv4(s: &mut String, r: &mut Rng) {
    const FIRST: &[u8] = &[
        3, 13, 18, 23, 34, 35, 44, 52, 54, 63, 66, 73, 81, 86, 91, 98, 104, 109, 121, 134, 141,
        151, 162, 176, 185, 198, 203, 212,
    ];
    let x = r.next_u64();
    crate::time::push_uint(s, u64::from(FIRST[(x % FIRST.len() as u64) as usize]));
    for shift in [8, 16, 24] {
        s.push('.');
        crate::time::push_uint(s, (x >> (shift + 8)) & 0xff);
    }
}
