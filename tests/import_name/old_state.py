"""Providers as stacks created before the rename hold them in state.

Made by ``pulumi.dynamic.dynamic.serialize_provider`` with the code of commit e0e28cf
(the package then imported as ``provider``), so the pickle names
``provider.pulumi_resources.<module>``: exactly what Pulumi's dynamic server must
unpickle to refresh or destroy those stacks.
"""

OLD_WORKTEAM_PROVIDER = (
    "gASVZAAAAAAAAACMInByb3ZpZGVyLnB1bHVtaV9yZXNvdXJjZXMud29ya3RlYW2UjBBXb3JrdGVhbVByb3ZpZGVylJOUKYGUfZQojAhlbmRwb2ludJRO"
    "jAdwcm9maWxllE6MBnJlZ2lvbpROdWIu"
)
OLD_COMPILATION_JOB_PROVIDER = (
    "gASVcQAAAAAAAACMKXByb3ZpZGVyLnB1bHVtaV9yZXNvdXJjZXMuY29tcGlsYXRpb25fam9ilIwWQ29tcGlsYXRpb25Kb2JQcm92aWRlcpSTlCmBlH2U"
    "KIwIZW5kcG9pbnSUTowHcHJvZmlsZZROjAZyZWdpb26UTnViLg=="
)
