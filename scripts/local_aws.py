"""Small AWS chores for the local stack, against whatever AWS_ENDPOINT_URL names (moto locally).

    python scripts/local_aws.py put-secret NAME VALUE   -> prints the secret's ARN
"""
import sys

import boto3


def put_secret(name: str, value: str) -> str:
    client = boto3.client("secretsmanager")
    try:
        return client.create_secret(Name=name, SecretString=value)["ARN"]
    except client.exceptions.ResourceExistsException:
        client.put_secret_value(SecretId=name, SecretString=value)
        return client.describe_secret(SecretId=name)["ARN"]


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "put-secret":
        print(put_secret(argv[1], argv[2]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
