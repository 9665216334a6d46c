from django.db import migrations


def fill(apps, schema_editor):
    # Customers made before masked reports existed: give each its 前三后四 and 前四后三 keys.
    from yunlou.core.phone import masked_keys

    Customer = apps.get_model("crm", "Customer")
    batch = []
    for customer in Customer.objects.filter(phone_key_34="").only("pk", "phone").iterator(chunk_size=2000):
        # The migration's model keeps the custom field, so the phone reads back decrypted.
        customer.phone_key_34, customer.phone_key_43 = masked_keys(customer.phone)
        batch.append(customer)
        if len(batch) >= 2000:
            Customer.objects.bulk_update(batch, ["phone_key_34", "phone_key_43"])
            batch = []
    Customer.objects.bulk_update(batch, ["phone_key_34", "phone_key_43"])


class Migration(migrations.Migration):
    dependencies = [("crm", "0002_visit_customer_first_visited_at_and_more")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
